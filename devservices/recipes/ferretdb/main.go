// Command ferretdb runs FerretDB v1 (MongoDB wire protocol on PostgreSQL, or on an SQLite
// directory) for CineMatch's integration tests and local "kafka"/"spark" profiles.
//
// PostgreSQL is the default backend of scripts/services: with the SQLite backend a client
// killed in the middle of a write (our SIGKILL fault tests do exactly that) can leave the
// database locked, and every later read hangs.
//
// Why our own main module: `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`
// builds a binary that panics because build/version/version.txt is generated and absent from
// the module proxy. The embeddable package skips that check when the main module is not
// FerretDB's own, so a ten-line wrapper builds cleanly from the proxy.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP listen address")
	dir := flag.String("sqlite-dir", "data", "directory for the SQLite databases")
	pg := flag.String("postgresql-url", "", "PostgreSQL URL; when set, used instead of SQLite")
	flag.Parse()

	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	config := &ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
		Logger:    logger,
	}
	where := *dir
	if *pg != "" {
		config.Handler, config.PostgreSQLURL, where = "postgresql", *pg, "PostgreSQL"
	}
	f, err := ferretdb.New(config)
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	log.Printf("ferretdb listening on %s, data in %s", *listen, where)
	if err := f.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
