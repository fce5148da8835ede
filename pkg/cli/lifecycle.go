package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/cluster"
	"velad.io/velad/pkg/server/config"
)

func addNameFlag(cmd *cobra.Command, name *string) {
	cmd.Flags().StringVar(name, "name", config.DefaultName, "name of the cluster")
}

func newStartCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start an installed, stopped cluster (its data is kept)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, cfg, err := loadCluster(streams, name)
			if err != nil {
				return err
			}
			err = m.Start(cmd.Context(), cfg, newPhasePrinter(streams.ErrOut).print)
			if errors.Is(err, cluster.ErrAlreadyRunning) {
				fmt.Fprintf(streams.Out, "cluster %q is already running\n", name)
				return nil
			}
			return err
		},
	}
	addNameFlag(cmd, &name)
	return cmd
}

func newStopCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "stop",
		Short: "Stop a cluster's server; its data is kept (start it again with `velad start`)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, cfg, err := loadCluster(streams, name)
			if err != nil {
				return err
			}
			if !m.Running(cfg) {
				fmt.Fprintf(streams.Out, "cluster %q is not running\n", name)
				return nil
			}
			if err := m.Stop(cfg); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "cluster %q stopped; data kept in %s\n", name, cfg.DataDir)
			return nil
		},
	}
	addNameFlag(cmd, &name)
	return cmd
}

func newUninstallCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Stop a cluster and remove everything it put on this host, data included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, cfg, err := loadCluster(streams, name)
			if err != nil {
				return err
			}
			if err := m.Uninstall(cfg); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "cluster %q uninstalled; removed %s\n", name, cfg.DataDir)
			return nil
		},
	}
	addNameFlag(cmd, &name)
	return cmd
}

func loadCluster(streams genericiooptions.IOStreams, name string) (*cluster.Manager, *config.Config, error) {
	m, err := managerFor(streams)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := m.Config(name)
	return m, cfg, err
}
