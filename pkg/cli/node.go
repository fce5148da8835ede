package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/agent"
	"velad.io/velad/pkg/agent/containerd"
	"velad.io/velad/pkg/agent/images"
	"velad.io/velad/pkg/server/config"
)

// newContainerdCommand is the containerd personality a real node runs as its sub-process.
func newContainerdCommand(_ genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:                "containerd",
		Short:              "Run the embedded containerd (started by a real node; not for direct use)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return containerd.Daemon(cmd.Context(), args)
		},
	}
}

// newHelloCommand is the entrypoint of the built-in hello image: a small HTTP server.
func newHelloCommand(streams genericiooptions.IOStreams) *cobra.Command {
	port := images.HelloPort
	if p, err := strconv.Atoi(os.Getenv("PORT")); err == nil {
		port = p
	}
	cmd := &cobra.Command{
		Use:    "hello",
		Short:  "Serve a greeting over HTTP (the built-in hello image's entrypoint)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host, _ := os.Hostname()
			msg := os.Getenv("MESSAGE")
			if msg == "" {
				msg = "Hello from velad!"
			}
			mux := http.NewServeMux()
			mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
			// /lookup/<name> resolves a name from inside the pod: a check of cluster DNS.
			mux.HandleFunc("/lookup/", func(w http.ResponseWriter, r *http.Request) {
				addrs, err := net.DefaultResolver.LookupHost(r.Context(), strings.TrimPrefix(r.URL.Path, "/lookup/"))
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				fmt.Fprintln(w, strings.Join(addrs, " "))
			})
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "%s (pod %s, path %s)\n", msg, host, r.URL.Path)
			})
			srv := &http.Server{Addr: ":" + strconv.Itoa(port), Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(sctx)
			}()
			fmt.Fprintf(streams.ErrOut, "hello: listening on :%d\n", port)
			if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&port, "port", port, "port to listen on (env PORT)")
	return cmd
}

// newImageCommand loads and lists the images of a cluster's real node.
func newImageCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var name string
	socketOf := func() (string, error) {
		m, cfg, err := loadCluster(streams, name)
		if err != nil {
			return "", err
		}
		if !m.Running(cfg) {
			return "", fmt.Errorf("cluster %q is not running: start it with `velad start --name %s`", name, name)
		}
		return agent.PathsFor(cfg).ContainerdSocket(), nil
	}
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Load and list the images of the cluster's real node (offline)",
		Example: `  docker save myapp:1.0 -o myapp.tar && velad image import myapp.tar
  velad image ls`,
	}
	cmd.PersistentFlags().StringVar(&name, "name", config.DefaultName, "name of the cluster")
	imp := &cobra.Command{
		Use:   "import <archive.tar>...",
		Short: "Import image archives (docker save, or OCI image layout tars) into the node",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			socket, err := socketOf()
			if err != nil {
				return err
			}
			for _, path := range args {
				f, err := os.Open(path)
				if err != nil {
					return fmt.Errorf("opening image archive: %w", err)
				}
				names, err := images.Import(cmd.Context(), socket, f)
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				for _, n := range names {
					fmt.Fprintf(streams.Out, "imported %s\n", n)
				}
			}
			return nil
		},
	}
	var output string
	ls := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the node's images",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			socket, err := socketOf()
			if err != nil {
				return err
			}
			list, err := images.List(cmd.Context(), socket)
			if err != nil {
				return err
			}
			if done, err := printData(streams.Out, output, list); done {
				return err
			}
			tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "IMAGE\tDIGEST\tSIZE")
			for _, i := range list {
				d := i.Digest
				if len(d) > 19 {
					d = d[:19]
				}
				fmt.Fprintf(tw, "%s\t%s\t%.1f MB\n", i.Name, d, float64(i.Size)/1e6)
			}
			return tw.Flush()
		},
	}
	addOutputFlag(ls, &output)
	cmd.AddCommand(imp, ls)
	return cmd
}
