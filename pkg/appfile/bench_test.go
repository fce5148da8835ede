package appfile

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// benchApp is a 5-component application with 3 traits per component.
func benchApp(tb testing.TB) *Application {
	var b strings.Builder
	b.WriteString("apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: bench, namespace: default}\nspec:\n  components:\n")
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, `    - name: web-%d
      type: webservice
      properties:
        image: nginx:1.%d
        port: %d
        env: [{name: A, value: a}]
      traits:
        - type: scaler
          properties: {replicas: %d}
        - type: labels
          properties: {tier: t%d, team: bench}
        - type: env
          properties: {env: {B: b, C: c}}
`, i, i, 8080+i, i+1, i)
	}
	return parseApp(tb, b.String())
}

// BenchmarkRender measures a full render (parse + CUE evaluation of 5
// components and 15 traits + patches + labels) with warm template caches.
// Run: go test -run '^$' -bench Render -benchmem -cpu 1 ./pkg/appfile
func BenchmarkRender(b *testing.B) {
	ctx := context.Background()
	e := newEngine(b)
	defs := fixtures(b)
	app := benchApp(b)
	if _, err := DryRun(ctx, e, defs, app, RenderOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ms, err := DryRun(ctx, e, defs, app, RenderOptions{})
		if err != nil || len(ms) != 5 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "renders/s")
}
