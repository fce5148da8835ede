// Package datastore runs kine on SQLite so that the embedded API server can use it as its etcd.
// It owns the database files under the cluster's db directory and imports nothing from velad.
package datastore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/k3s-io/kine/pkg/drivers/generic"
	"github.com/k3s-io/kine/pkg/endpoint"
	_ "github.com/mattn/go-sqlite3" // SQLite driver for the pre-flight check
)

// sqliteParams are the DSN parameters kine opens the database with: WAL journal so that a
// kill -9 never corrupts it, a long busy timeout so that a second opener waits instead of failing.
const sqliteParams = "_journal_mode=WAL&_busy_timeout=30000&_synchronous=NORMAL&_txlock=immediate&_stmt_cache_size=20&cache=shared"

// Config describes one datastore.
type Config struct {
	// DBFile is the SQLite file (created if missing).
	DBFile string
	// Socket is the unix socket path the etcd API is served on.
	Socket string
}

// Endpoint is what the API server needs to reach the datastore.
type Endpoint struct {
	// ETCDServers is the value of --etcd-servers.
	ETCDServers string
}

// Start checks the database, then serves the etcd API on the socket until ctx is done.
func Start(ctx context.Context, cfg Config) (*Endpoint, error) {
	if err := os.MkdirAll(filepath.Dir(cfg.DBFile), 0o700); err != nil {
		return nil, fmt.Errorf("creating datastore directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Socket), 0o700); err != nil {
		return nil, fmt.Errorf("creating socket directory: %w", err)
	}
	if err := Check(cfg.DBFile); err != nil {
		return nil, err
	}
	_ = os.Remove(cfg.Socket) // a stale socket of a killed server
	etcd, err := endpoint.Listen(ctx, endpoint.Config{
		Listener:             "unix://" + cfg.Socket,
		Endpoint:             "sqlite://" + cfg.DBFile + "?" + sqliteParams,
		ConnectionPoolConfig: generic.ConnectionPoolConfig{MaxIdle: 2, MaxOpen: 4},
		NotifyInterval:       5 * time.Second,
		EmulatedETCDVersion:  "3.5.13",
		CompactInterval:      5 * time.Minute,
		CompactTimeout:       5 * time.Second,
		CompactMinRetain:     1000,
		CompactBatchSize:     1000,
		PollBatchSize:        500,
		PollInterval:         time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("starting datastore on %s: %w", cfg.DBFile, err)
	}
	return &Endpoint{ETCDServers: strings.Join(etcd.Endpoints, ",")}, nil
}

// Check opens the SQLite file and runs a quick integrity check, so that a corrupt or locked
// database is reported with its path instead of failing deep inside the API server. A missing
// file is fine: kine creates it.
func Check(dbFile string) error {
	if _, err := os.Stat(dbFile); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := sql.Open("sqlite3", "file:"+dbFile+"?_busy_timeout=5000")
	if err != nil {
		return fmt.Errorf("opening datastore %s: %w", dbFile, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var result string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&result); err != nil {
		return fmt.Errorf("datastore %s cannot be read (%v): it is corrupt or locked by another process; stop other velad servers using it, or restore it from a backup — velad never resets it", dbFile, err)
	}
	if result != "ok" {
		return fmt.Errorf("datastore %s failed its integrity check (%s); restore it from a backup — velad never resets it", dbFile, result)
	}
	return nil
}
