package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// Run executes the personality named by args[0] ("vela", "kubectl", else velad) with the
// remaining arguments.
func Run(ctx context.Context, streams genericiooptions.IOStreams, args []string) error {
	prog := strings.TrimSuffix(filepath.Base(args[0]), ".exe")
	switch prog {
	case "kubectl":
		return runKubectl(streams, args[1:])
	case "vela":
		cmd := NewVelaCommand(streams)
		cmd.SetArgs(args[1:])
		return cmd.ExecuteContext(ctx)
	}
	cmd := NewVeladCommand(streams)
	cmd.SetArgs(args[1:])
	return cmd.ExecuteContext(ctx)
}

// isTerminal reports whether w is a character device (a TTY), for spinners.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	st, err := file.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
