package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/application"
)

type upFlags struct {
	target         appTarget
	file           string
	wait           bool
	timeout        time.Duration
	typ            string
	image          string
	port           int
	revision       string
	publishVersion string
}

func newUpCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &upFlags{}
	cmd := &cobra.Command{
		Use:   "up [APP] -f FILE | APP --type TYPE --image IMAGE | APP --revision REV",
		Short: "Create or update Applications (and definitions) from a file, a one-component spec, or an old revision",
		Example: `  vela up -f app.yaml --wait
  vela up web --type webservice --image nginx:1.27 --port 80
  vela up web --revision v2`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), streams, args)
		},
	}
	f.target.addFlags(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "(file) YAML or JSON with Applications and X-Definitions; - reads stdin")
	fl.StringVar(&f.typ, "type", "", "(one component) component type of APP, such as webservice")
	fl.StringVar(&f.image, "image", "", "(one component) container image")
	fl.IntVar(&f.port, "port", 0, "(one component) container port")
	fl.StringVarP(&f.revision, "revision", "r", "", "(revision) publish this ApplicationRevision of APP again (app-v2, v2 or 2)")
	fl.StringVar(&f.publishVersion, "publish-version", "", "(revision) publishVersion annotation to set (default: the revision's name)")
	fl.BoolVarP(&f.wait, "wait", "w", false, "wait until the Application is running")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "how long --wait waits")
	return cmd
}

func (f *upFlags) run(ctx context.Context, streams genericiooptions.IOStreams, args []string) error {
	objs, err := f.objects(streams.In, args)
	if err != nil {
		return err
	}
	c, ns, err := f.target.connect()
	if err != nil {
		return err
	}
	var applied []application.Applied
	if f.revision != "" {
		a, err := f.publish(ctx, c, ns, args[0])
		if err != nil {
			return err
		}
		applied = append(applied, a)
		fmt.Fprintf(streams.Out, "application %s/%s: publishing revision %s\n", a.Namespace, a.Name, f.revision)
	} else {
		opts := application.ApplyOptions{Namespace: ns, Enforce: f.target.namespace != ""}
		applied, err = application.Apply(ctx, c, objs, opts)
		for _, a := range applied {
			fmt.Fprintf(streams.Out, "%s %s/%s applied\n", a.Kind, a.Namespace, a.Name)
		}
		if err != nil && f.file != "" {
			return fmt.Errorf("%s: %w", f.file, err)
		}
		if err != nil {
			return err
		}
	}
	return f.report(ctx, streams, c, applied)
}

// objects returns what to apply: the file's objects or the one-component Application.
func (f *upFlags) objects(in io.Reader, args []string) ([]*unstructured.Unstructured, error) {
	switch {
	case f.revision != "":
		if len(args) != 1 || f.file != "" || f.typ != "" {
			return nil, errors.New("--revision needs exactly one application name and no -f or --type")
		}
		return nil, nil
	case f.file != "":
		if len(args) > 0 || f.typ != "" || f.image != "" {
			return nil, errors.New("-f takes no application name, --type or --image: the file defines the Applications")
		}
		if f.file == "-" {
			data, err := io.ReadAll(in)
			if err != nil {
				return nil, fmt.Errorf("reading stdin: %w", err)
			}
			return application.DecodeManifests("stdin", data)
		}
		return application.ReadManifests(f.file)
	case len(args) == 1:
		if f.typ == "" {
			return nil, fmt.Errorf("say what %s is: vela up %s --type webservice --image IMAGE, or vela up -f app.yaml", args[0], args[0])
		}
		props := map[string]any{}
		if f.image != "" {
			props["image"] = f.image
		}
		if f.port != 0 {
			props["port"] = int64(f.port)
		}
		return []*unstructured.Unstructured{application.OneComponent(args[0], "", f.typ, props)}, nil
	}
	return nil, errors.New("nothing to apply: use vela up -f app.yaml, or vela up NAME --type webservice --image IMAGE")
}

func (f *upFlags) publish(ctx context.Context, c client.Client, ns, name string) (application.Applied, error) {
	app, err := application.Get(ctx, c, ns, name)
	if err != nil {
		return application.Applied{}, err
	}
	rev, err := application.GetRevision(ctx, c, app, f.revision)
	if err != nil {
		return application.Applied{}, err
	}
	if err := application.PublishRevision(ctx, c, app, rev, f.publishVersion); err != nil {
		return application.Applied{}, err
	}
	return application.Applied{Kind: v1beta1.ApplicationKind, Namespace: app.Namespace, Name: app.Name,
		Generation: app.Generation, PublishVersion: app.Annotations[oam.AnnotationPublishVersion]}, nil
}

// report waits for the applied Applications when asked, else says how to follow them.
func (f *upFlags) report(ctx context.Context, streams genericiooptions.IOStreams, c client.Client, applied []application.Applied) error {
	for _, a := range applied {
		if a.Kind != v1beta1.ApplicationKind {
			continue
		}
		if !f.wait {
			fmt.Fprintf(streams.Out, "  follow it with: vela status %s -n %s\n", a.Name, a.Namespace)
			continue
		}
		if err := waitRunning(ctx, streams, c, a, f.timeout); err != nil {
			return err
		}
	}
	return nil
}

func waitRunning(ctx context.Context, streams genericiooptions.IOStreams, c client.Client, a application.Applied, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p := newWaitPrinter(streams.ErrOut, "waiting for "+a.Name)
	app, err := application.WaitRunning(ctx, c, a, func(app *v1beta1.Application) {
		p.update(application.Describe(app))
	})
	p.done()
	var suspended *application.SuspendedError
	switch {
	case errors.As(err, &suspended):
		fmt.Fprintln(streams.Out, suspended.Error())
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("application %s/%s is not running after %s (%s): check it with vela status %s -n %s, or wait longer with --timeout",
			a.Namespace, a.Name, timeout, application.Describe(app), a.Name, a.Namespace)
	case err != nil:
		return err
	}
	fmt.Fprintf(streams.Out, "application %s/%s is running (%s)\n", app.Namespace, app.Name, healthSummary(app))
	return nil
}

// healthSummary counts healthy services: "2/2 services healthy".
func healthSummary(app *v1beta1.Application) string {
	healthy := 0
	for _, s := range app.Status.Services {
		if s.Healthy {
			healthy++
		}
	}
	return fmt.Sprintf("%d/%d services healthy", healthy, len(app.Status.Services))
}
