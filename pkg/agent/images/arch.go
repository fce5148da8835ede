package images

import "runtime"

func goArch() string { return runtime.GOARCH }
