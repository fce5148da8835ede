package server

import (
	"strconv"

	"velad.io/velad/pkg/server/certs"
	"velad.io/velad/pkg/server/component"
	"velad.io/velad/pkg/server/config"
)

func apiServerArgs(c *config.Config, advertiseIP, etcdServers string) []string {
	tls := c.CertDir()
	p := func(name string) string { return certs.Path(tls, name) }
	flags := map[string]string{
		"advertise-address":                  advertiseIP,
		"bind-address":                       c.APIServer.BindIP,
		"secure-port":                        strconv.Itoa(c.APIServer.Port),
		"etcd-servers":                       etcdServers,
		"anonymous-auth":                     "false",
		"authorization-mode":                 "Node,RBAC",
		"enable-bootstrap-token-auth":        "true", // velad join (package join)
		"enable-admission-plugins":           "NodeRestriction",
		"allow-privileged":                   "true",
		"client-ca-file":                     p("ca.crt"),
		"tls-cert-file":                      p(certs.Serving + ".crt"),
		"tls-private-key-file":               p(certs.Serving + ".key"),
		"kubelet-client-certificate":         p(certs.KubeletClient + ".crt"),
		"kubelet-client-key":                 p(certs.KubeletClient + ".key"),
		"kubelet-preferred-address-types":    "InternalIP,Hostname",
		"proxy-client-cert-file":             p(certs.FrontProxy + ".crt"),
		"proxy-client-key-file":              p(certs.FrontProxy + ".key"),
		"requestheader-client-ca-file":       p(certs.FrontProxyCA + ".crt"),
		"requestheader-allowed-names":        "system:auth-proxy",
		"requestheader-extra-headers-prefix": "X-Remote-Extra-",
		"requestheader-group-headers":        "X-Remote-Group",
		"requestheader-username-headers":     "X-Remote-User",
		"service-account-issuer":             "https://kubernetes.default.svc.cluster.local",
		"service-account-key-file":           p(certs.ServiceAccount + ".pub"),
		"service-account-signing-key-file":   p(certs.ServiceAccount + ".key"),
		"api-audiences":                      "https://kubernetes.default.svc.cluster.local",
		"service-cluster-ip-range":           c.Network.ServiceCIDR,
		"profiling":                          "false",
		"event-ttl":                          "1h",
	}
	if advertiseIP == "" {
		delete(flags, "advertise-address")
		flags["endpoint-reconciler-type"] = "none"
	}
	return component.Args(flags, c.APIServer.ExtraArgs)
}

func controllerManagerArgs(c *config.Config) []string {
	tls := c.CertDir()
	kubeconfig := c.ComponentKubeconfig(certs.ControllerMgr)
	return component.Args(map[string]string{
		"kubeconfig":                       kubeconfig,
		"authentication-kubeconfig":        kubeconfig,
		"authorization-kubeconfig":         kubeconfig,
		"secure-port":                      "0",
		"leader-elect":                     "false",
		"allocate-node-cidrs":              "true",
		"cluster-cidr":                     c.Network.ClusterCIDR,
		"service-cluster-ip-range":         c.Network.ServiceCIDR,
		"cluster-signing-cert-file":        certs.Path(tls, "ca.crt"),
		"cluster-signing-key-file":         certs.Path(tls, "ca.key"),
		"root-ca-file":                     certs.Path(tls, "ca.crt"),
		"service-account-private-key-file": certs.Path(tls, certs.ServiceAccount+".key"),
		"use-service-account-credentials":  "true",
		"configure-cloud-routes":           "false",
		"controllers":                      "*,tokencleaner",
		"profiling":                        "false",
		// client-go's default 20 QPS makes a burst of Deployments wait on the controller
		// manager's own client; one host, one node: let it go as fast as the API server.
		"kube-api-qps":   "200",
		"kube-api-burst": "400",
	}, nil)
}

func schedulerArgs(c *config.Config) []string {
	kubeconfig := c.ComponentKubeconfig(certs.Scheduler)
	return component.Args(map[string]string{
		"kubeconfig":     kubeconfig,
		"secure-port":    "0",
		"leader-elect":   "false",
		"profiling":      "false",
		"kube-api-qps":   "200",
		"kube-api-burst": "400",
	}, nil)
}
