package server_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"velad.io/velad/pkg/server"
	"velad.io/velad/pkg/server/component"
	"velad.io/velad/pkg/server/config"
	"velad.io/velad/pkg/testenv"
)

const childEnv = "VELAD_TEST_CHILD_SERVER"

// runChildServer runs a server for the data dir and port in the environment until SIGTERM.
func runChildServer() {
	port, _ := strconv.Atoi(os.Getenv("VELAD_TEST_CHILD_PORT"))
	cfg := config.New("child", os.Getenv(childEnv))
	cfg.APIServer.BindIP, cfg.APIServer.Port = "127.0.0.1", port
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := server.New(cfg, component.Embedded{}).Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func startChild(t *testing.T, dir string, port int) *exec.Cmd {
	t.Helper()
	_ = os.Remove(config.New("child", dir).PhaseFile()) // the killed run's phase is stale
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir, "VELAD_TEST_CHILD_PORT="+strconv.Itoa(port))
	log, err := os.OpenFile(dir+"/child.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cfg := config.New("child", dir)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if p, detail, err := server.ReadPhase(cfg.PhaseFile()); err == nil {
			if p == server.PhaseReady {
				return cmd
			}
			if p == server.PhaseFailed {
				t.Fatalf("child server failed: %s", detail)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("child server not ready after 2 minutes")
	return nil
}

// TestDataSurvivesKill9 runs the server in a child process, writes objects, kills it with
// SIGKILL mid-flight, starts it again on the same data dir and checks every object is there.
func TestDataSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	child := startChild(t, dir, port)
	cs := childClient(t, dir)
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("keep-%d", i), Namespace: "default"}, Data: map[string]string{"i": strconv.Itoa(i)}}
		if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()

	child = startChild(t, dir, port)
	defer func() { _ = child.Process.Signal(syscall.SIGTERM); _ = child.Wait() }()
	cs = childClient(t, dir)
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

func childClient(t *testing.T, dir string) kubernetes.Interface {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", config.New("child", dir).AdminKubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(rc)
}
