// Package cli holds the command layer of the one velad binary: the `velad` commands (cluster
// lifecycle, server), the `vela` commands (delivery) and the kubectl personality. Commands bind
// flags to local structs and call the libraries (pkg/cluster, pkg/server, pkg/appfile, …);
// they hold no business logic. Run dispatches on the program name (multi-call binary).
package cli
