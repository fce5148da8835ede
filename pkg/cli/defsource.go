package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider/op"
)

// RESTConfigGetter returns the configuration of the cluster to talk to; an
// error means there is no cluster and commands that can work offline do so.
type RESTConfigGetter func() (*rest.Config, error)

// clusterProbeTimeout bounds how long commands wait to find out whether a cluster answers.
const clusterProbeTimeout = 3 * time.Second

// defSource binds the flags that choose where definitions come from.
type defSource struct {
	paths     []string
	offline   bool
	namespace string
}

func (s *defSource) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&s.paths, "definitions", "d", nil, "extra definition files or directories (YAML X-Definitions or `vela def` CUE files); repeatable")
	cmd.Flags().BoolVar(&s.offline, "offline", false, "do not contact a cluster: use the built-in definitions and -d")
	cmd.Flags().StringVarP(&s.namespace, "namespace", "n", "", "namespace to look up definitions in (besides vela-system)")
}

// loader builds the definition Loader: -d paths first, then the cluster's
// definitions when one answers (and --offline is not set), else the built-ins.
func (s *defSource) loader(ctx context.Context, getConfig RESTConfigGetter, warn io.Writer) (appfile.Loader, error) {
	var chain appfile.Chain
	if len(s.paths) > 0 {
		user, err := appfile.FromPaths(s.paths...)
		if err != nil {
			return nil, err
		}
		chain = append(chain, user)
	}
	if !s.offline {
		if c, err := clusterReader(ctx, getConfig); err == nil {
			return append(chain, &appfile.ClientLoader{Reader: c}), nil
		} else if getConfig != nil {
			fmt.Fprintf(warn, "note: no cluster (%v); using the built-in definitions\n", err)
		}
	}
	builtin, err := appfile.Builtin()
	if err != nil {
		return nil, err
	}
	return append(chain, builtin), nil
}

// clusterReader returns a client for the cluster if one is configured and answers.
func clusterReader(ctx context.Context, getConfig RESTConfigGetter) (client.Client, error) {
	if getConfig == nil {
		return nil, fmt.Errorf("no cluster configured")
	}
	cfg, err := getConfig()
	if err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = clusterProbeTimeout
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, clusterProbeTimeout)
	defer cancel()
	probe := &unstructured.UnstructuredList{}
	probe.SetGroupVersionKind(appfile.DefinitionGroupVersion.WithKind(appfile.KindComponent + "List"))
	if err := c.List(ctx, probe, client.InNamespace(appfile.SystemNamespace), client.Limit(1)); err != nil {
		return nil, fmt.Errorf("cluster not reachable or velad not installed: %w", err)
	}
	return c, nil
}

// newEngine builds the CUE engine the vela commands render with.
func newEngine() (*cue.Engine, error) {
	return cue.New(cue.WithProviders(op.All()...))
}
