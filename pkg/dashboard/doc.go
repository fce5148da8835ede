// Package dashboard is velad's built-in dashboard, the velaux addon's server: while the
// ConfigMap velaux-dashboard the addon delivers exists in vela-system, velad server serves a
// small read-only page and JSON endpoints on 127.0.0.1 (its data.port, or the next free port)
// listing Applications with their status, resources and clusters, the addons, and VelaQL
// query results; it writes the URL to the addon Application (addon.AnnotationURL) and stops
// serving when the ConfigMap goes.
//
// Everything is read through the API server with the server's client. It must not import
// pkg/cli or pkg/controller.
package dashboard
