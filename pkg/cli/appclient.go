package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
)

// appTarget is the cluster connection and namespace of the application commands.
type appTarget struct {
	namespace string
}

// addFlags registers -n/--namespace.
func (t *appTarget) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&t.namespace, "namespace", "n", "", "namespace of the application (default: the kubeconfig context's, else \"default\")")
}

// connect returns a client for $KUBECONFIG (the default velad cluster when unset) and
// resolves the namespace.
func (t *appTarget) connect() (client.Client, string, error) {
	setDefaultKubeconfig()
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), &clientcmd.ConfigOverrides{})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("loading kubeconfig (set KUBECONFIG, or install a cluster with velad install): %w", err)
	}
	c, err := application.NewClient(cfg)
	if err != nil {
		return nil, "", err
	}
	ns := t.namespace
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil || ns == "" {
			ns = "default"
		}
	}
	return c, ns, nil
}

// get connects and reads the named Application in the target namespace.
func (t *appTarget) get(ctx context.Context, name string) (client.Client, *v1beta1.Application, error) {
	c, ns, err := t.connect()
	if err != nil {
		return nil, nil, err
	}
	app, err := application.Get(ctx, c, ns, name)
	return c, app, err
}

// waitPrinter shows the progress of a wait: a spinner line redrawn on a terminal, and a
// plain line whenever the state changes (at most every few seconds) otherwise.
type waitPrinter struct {
	w       io.Writer
	tty     bool
	title   string
	start   time.Time
	frame   int
	last    string
	printed time.Time
}

func newWaitPrinter(w io.Writer, title string) *waitPrinter {
	return &waitPrinter{w: w, tty: isTerminal(w), title: title, start: time.Now()}
}

// update shows state, the current one-line description of what is awaited.
func (p *waitPrinter) update(state string) {
	elapsed := time.Since(p.start).Round(time.Second)
	if p.tty {
		frames := []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
		p.frame++
		fmt.Fprintf(p.w, "\r\033[K %c %s (%s): %s", frames[p.frame%len(frames)], p.title, elapsed, state)
		return
	}
	if state == p.last && time.Since(p.printed) < 10*time.Second {
		return
	}
	p.last, p.printed = state, time.Now()
	fmt.Fprintf(p.w, "%s (%s): %s\n", p.title, elapsed, state)
}

// done ends the progress display.
func (p *waitPrinter) done() {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
