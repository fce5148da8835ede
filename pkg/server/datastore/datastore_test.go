package datastore

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckAcceptsMissingAndHealthyDatabases(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	if err := Check(db); err != nil {
		t.Fatalf("missing database: %v", err)
	}
	conn, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if err := Check(db); err != nil {
		t.Fatalf("healthy database: %v", err)
	}
}

func TestCheckNamesTheFileOfACorruptDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "state.db")
	garbage := strings.Repeat("this is not a sqlite database ", 200)
	if err := os.WriteFile(db, []byte(garbage), 0o600); err != nil {
		t.Fatal(err)
	}
	err := Check(db)
	if err == nil {
		t.Fatal("corrupt database accepted")
	}
	if !strings.Contains(err.Error(), db) || !strings.Contains(err.Error(), "never resets") {
		t.Fatalf("error does not name the file or promise no reset: %v", err)
	}
	data, _ := os.ReadFile(db)
	if string(data) != garbage {
		t.Fatal("Check modified the corrupt database")
	}
}
