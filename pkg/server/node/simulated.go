package node

import (
	"context"
	"fmt"
	"os"
	"runtime"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodelease "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
	"sigs.k8s.io/kwok/pkg/apis/internalversion"
	kwokconfig "sigs.k8s.io/kwok/pkg/config"
	"sigs.k8s.io/kwok/pkg/kwok/controllers"
	kwoklog "sigs.k8s.io/kwok/pkg/log"
	kwokclient "sigs.k8s.io/kwok/pkg/utils/client"
)

// Label and annotation that mark velad's simulated node.
const (
	// SimulatedLabel marks a node whose pods are simulated.
	SimulatedLabel = "node.velad.io/simulated"
	// kwokAnnotation makes kwok manage the node.
	kwokAnnotation = "kwok.x-k8s.io/node"
	// maxPods is the pod capacity of the simulated node.
	maxPods = 2000
)

// Simulated is a node whose kubelet is simulated by kwok.
type Simulated struct {
	// Name is the Node object's name.
	Name string
	// IP is the node's InternalIP.
	IP string
	// PodCIDR is the range pod IPs are taken from.
	PodCIDR string
	// Kubeconfig is the path of an admin kubeconfig for the cluster.
	Kubeconfig string
}

// Run registers the node and simulates its kubelet until ctx is done.
func (s *Simulated) Run(ctx context.Context) error {
	// kwok logs every pod transition at info level; keep warnings and errors only.
	ctx = kwoklog.NewContext(ctx, kwoklog.NewLogger(os.Stderr, kwoklog.LevelWarn))
	cs, err := kwokclient.NewClientset("", s.Kubeconfig)
	if err != nil {
		return fmt.Errorf("simulated node client: %w", err)
	}
	restConfig, err := cs.ToRESTConfig()
	if err != nil {
		return err
	}
	typed, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return err
	}
	if err := s.register(ctx, typed); err != nil {
		return err
	}
	ctr, err := s.controller(cs, restConfig, typed)
	if err != nil {
		return err
	}
	if err := ctr.Start(ctx); err != nil {
		return fmt.Errorf("starting simulated kubelet: %w", err)
	}
	<-ctx.Done()
	return nil
}

func (s *Simulated) controller(cs kwokclient.Clientset, restConfig *rest.Config, typed kubernetes.Interface) (*controllers.Controller, error) {
	dyn, err := cs.ToDynamicClient()
	if err != nil {
		return nil, err
	}
	mapper, err := cs.ToRESTMapper()
	if err != nil {
		return nil, err
	}
	restClient, err := rest.RESTClientFor(restConfig)
	if err != nil {
		return nil, err
	}
	stages, err := loadStages()
	if err != nil {
		return nil, err
	}
	return controllers.NewController(controllers.Config{
		Clock:                         clock.RealClock{},
		DynamicClient:                 dyn,
		RESTClient:                    restClient,
		RESTMapper:                    mapper,
		ImpersonatingDynamicClient:    cs.ToImpersonatingDynamicClient(),
		ImpersonatingTypedClient:      cs.ToImpersonatingTypedClient(),
		TypedClient:                   typed,
		ManageSingleNode:              s.Name,
		CIDR:                          s.PodCIDR,
		NodeIP:                        s.IP,
		NodeName:                      s.Name,
		LocalStages:                   stages,
		PodPlayStageParallelism:       4,
		NodePlayStageParallelism:      1,
		NodeLeaseDurationSeconds:      40,
		NodeLeaseParallelism:          1,
		PodsOnNodeSyncParallelism:     1,
		EnablePodsOnNodeSyncListPager: true,
		ID:                            "velad-" + s.Name,
	})
}

// register creates the Node object, or refreshes the labels of an existing one.
func (s *Simulated) register(ctx context.Context, cs kubernetes.Interface) error {
	want := s.object()
	got, err := cs.CoreV1().Nodes().Get(ctx, s.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = cs.CoreV1().Nodes().Create(ctx, want, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("registering node %s: %w", s.Name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading node %s: %w", s.Name, err)
	}
	for k, v := range want.Labels {
		got.Labels[k] = v
	}
	if got.Annotations == nil {
		got.Annotations = map[string]string{}
	}
	got.Annotations[kwokAnnotation] = "fake"
	if _, err := cs.CoreV1().Nodes().Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("updating node %s: %w", s.Name, err)
	}
	return nil
}

func (s *Simulated) object() *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		corev1.ResourceMemory: hostMemory(),
		corev1.ResourcePods:   *resource.NewQuantity(maxPods, resource.DecimalSI),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: s.Name,
			Labels: map[string]string{
				SimulatedLabel:                          "true",
				"kubernetes.io/hostname":                s.Name,
				"kubernetes.io/os":                      runtime.GOOS,
				"kubernetes.io/arch":                    runtime.GOARCH,
				"node-role.kubernetes.io/control-plane": "true",
				"type":                                  "kwok",
			},
			Annotations: map[string]string{kwokAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
}

func loadStages() (map[internalversion.StageResourceRef][]*internalversion.Stage, error) {
	out := map[internalversion.StageResourceRef][]*internalversion.Stage{}
	for _, raw := range []string{nodefast.DefaultNodeInit, nodelease.DefaultNodeHeartbeatWithLease,
		podfast.DefaultPodReady, podfast.DefaultPodComplete, podfast.DefaultPodDelete} {
		stage, err := kwokconfig.UnmarshalWithType[*internalversion.Stage](raw)
		if err != nil {
			return nil, fmt.Errorf("loading simulated kubelet stages: %w", err)
		}
		out[stage.Spec.ResourceRef] = append(out[stage.Spec.ResourceRef], stage)
	}
	return out, nil
}

// Ready reports whether n has the Ready condition set to True.
func Ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
