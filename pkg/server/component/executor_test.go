package component

import (
	"reflect"
	"testing"
)

func TestArgsSortedAndUserWins(t *testing.T) {
	got := Args(map[string]string{"b": "2", "a": "1"}, []string{"--b=3", "c=4"})
	want := []string{"--a=1", "--b=3", "--c=4"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Args = %v, want %v", got, want)
	}
}
