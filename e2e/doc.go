// Package e2e holds end-to-end tests that drive the built velad binary the way a user does:
// install, kubectl, status, kill -9, start, second clusters, uninstall. The binary is taken
// from $VELAD_BINARY (make test sets it) or built once by TestMain.
package e2e
