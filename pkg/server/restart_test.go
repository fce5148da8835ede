package server_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"velad.io/velad/pkg/testenv"
)

// TestDataSurvivesKill9 runs the server in a child process, writes objects, kills it with
// SIGKILL mid-flight, starts it again on the same data dir and checks every object is there.
func TestDataSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	child := startChild(t, dir, port)
	cs := childClient(t, child)
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("keep-%d", i), Namespace: "default"}, Data: map[string]string{"i": strconv.Itoa(i)}}
		if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	child.Kill()

	child = startChild(t, dir, port)
	defer child.Stop()
	cs = childClient(t, child)
	for i := 0; i < 50; i++ {
		cm, err := cs.CoreV1().ConfigMaps("default").Get(ctx, fmt.Sprintf("keep-%d", i), metav1.GetOptions{})
		if err != nil {
			t.Fatalf("after kill -9 and restart: %v", err)
		}
		if cm.Data["i"] != strconv.Itoa(i) {
			t.Fatalf("configmap keep-%d data = %v", i, cm.Data)
		}
	}
}

func startChild(t *testing.T, dir string, port int) *testenv.Child {
	t.Helper()
	c, err := testenv.StartChild(dir, port)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func childClient(t *testing.T, c *testenv.Child) kubernetes.Interface {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", c.Cluster.AdminKubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(rc)
}
