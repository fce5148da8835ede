package cli

import "k8s.io/cli-runtime/pkg/genericclioptions"

func genericclioptionsConfigFlags() *genericclioptions.ConfigFlags {
	return genericclioptions.NewConfigFlags(true).WithDeprecatedPasswordFlag().WithDiscoveryBurst(300).WithDiscoveryQPS(50.0)
}
