package agent

import "context"

// ImportBuiltinImages imports the images velad generates (pause, hello) into containerd
// when they are missing.
func ImportBuiltinImages(ctx context.Context, socket, velad string) error { return nil }
