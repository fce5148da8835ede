package node

import (
	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/api/resource"
)

// hostMemory is the host's physical memory, the simulated node's memory capacity.
func hostMemory() resource.Quantity {
	var info unix.Sysinfo_t
	if err := unix.Sysinfo(&info); err != nil {
		return resource.MustParse("8Gi")
	}
	return *resource.NewQuantity(int64(info.Totalram)*int64(info.Unit), resource.BinarySI)
}
