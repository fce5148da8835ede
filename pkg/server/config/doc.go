// Package config defines the resolved configuration of one velad cluster (what the user asked
// for, with defaults applied), how it is validated, stored in <data-dir>/config.yaml and where
// each file of the cluster lives. It holds no runtime state and imports nothing from velad.
package config
