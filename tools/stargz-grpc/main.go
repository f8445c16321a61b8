// Command containerd-stargz-grpc serves the stargz snapshotter over containerd's
// proxy-snapshotter gRPC API. Upstream's own main lives in a module the Go proxy
// does not carry, so this small main wires the released library (service package)
// the same way: one config file, one root directory, one unix socket.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strconv"
	"syscall"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/v2/contrib/snapshotservice"
	"github.com/containerd/log"
	metrics "github.com/containerd/stargz-snapshotter/fs/metrics/common"
	"github.com/containerd/stargz-snapshotter/service"
	"github.com/pelletier/go-toml/v2"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
)

// version is set at build time to the stargz-snapshotter release this was built from.
var version = "unknown"

func main() {
	showVersion := flag.Bool("version", false, "print the stargz-snapshotter version and exit")
	address := flag.String("address", "", "unix socket the gRPC server listens on (required)")
	configPath := flag.String("config", "", "TOML configuration file (optional)")
	root := flag.String("root", "", "state directory of the snapshotter (required)")
	logLevel := flag.String("log-level", "info", "trace, debug, info, warn or error")
	metricsSocket := flag.String("metrics-socket", "", "unix socket serving the file system's Prometheus metrics, as upstream's metrics_address does (optional)")
	flag.Parse()
	if *showVersion {
		fmt.Println("containerd-stargz-grpc (hellobench build) stargz-snapshotter", version)
		return
	}
	if *address == "" || *root == "" {
		fmt.Fprintln(os.Stderr, "containerd-stargz-grpc: --address and --root are required")
		os.Exit(2)
	}
	if err := log.SetLevel(*logLevel); err != nil {
		fatal("log level", err)
	}
	if err := log.SetFormat(log.JSONFormat); err != nil {
		fatal("log format", err)
	}

	var cfg service.Config
	applyDefaults(reflect.ValueOf(&cfg).Elem())
	if *configPath != "" {
		data, err := os.ReadFile(*configPath)
		if err != nil {
			fatal("reading config", err)
		}
		if err := toml.Unmarshal(data, &cfg); err != nil {
			fatal("parsing config "+*configPath, err)
		}
	}

	ctx := log.WithLogger(context.Background(), log.L)
	sn, err := service.NewStargzSnapshotterService(ctx, *root, &cfg)
	if err != nil {
		fatal("starting snapshotter", err)
	}

	rpc := grpc.NewServer()
	snapshotsapi.RegisterSnapshotsServer(rpc, snapshotservice.FromSnapshotter(sn))
	if err := os.MkdirAll(filepath.Dir(*address), 0o700); err != nil {
		fatal("socket directory", err)
	}
	_ = os.Remove(*address)
	l, err := net.Listen("unix", *address)
	if err != nil {
		fatal("listening on "+*address, err)
	}
	go func() {
		if err := rpc.Serve(l); err != nil {
			fatal("serving", err)
		}
	}()
	if *metricsSocket != "" {
		serveMetrics(*metricsSocket)
	}
	log.G(ctx).WithField("address", *address).Info("stargz snapshotter ready")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	rpc.Stop()
	// Close unmounts the lazy (FUSE) layers this daemon mounted.
	if err := sn.Close(); err != nil {
		log.G(ctx).WithError(err).Warn("closing snapshotter")
	}
}

// applyDefaults sets every field that carries a `default:"..."` tag to that value, as
// upstream's main does by parsing with go-toml v1 (v2 ignores the tags). Without it,
// directory_cache.direct is false here and true upstream: on-demand chunks then go through a
// small in-memory cache and may be fetched again, which upstream's daemon never does.
func applyDefaults(v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		if f.Kind() == reflect.Struct {
			applyDefaults(f)
			continue
		}
		def, ok := t.Field(i).Tag.Lookup("default")
		if !ok {
			continue
		}
		switch f.Kind() {
		case reflect.Bool:
			b, err := strconv.ParseBool(def)
			if err != nil {
				fatal("default of "+t.Field(i).Name, err)
			}
			f.SetBool(b)
		case reflect.Int, reflect.Int64, reflect.Int32:
			n, err := strconv.ParseInt(def, 10, 64)
			if err != nil {
				fatal("default of "+t.Field(i).Name, err)
			}
			f.SetInt(n)
		case reflect.String:
			f.SetString(def)
		default:
			fatal("default of "+t.Field(i).Name, fmt.Errorf("unsupported kind %s", f.Kind()))
		}
	}
}

// serveMetrics serves what the file system counts (bytes served to reads, fetches, latencies)
// in Prometheus's text format, as upstream's daemon does at its metrics_address.
func serveMetrics(socket string) {
	// Info, not the daemon's level: at debug the metrics package logs every operation's latency.
	metrics.Register(log.InfoLevel)
	_ = os.Remove(socket)
	l, err := net.Listen("unix", socket)
	if err != nil {
		fatal("listening on "+socket, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.Handler())
	go func() {
		if err := http.Serve(l, mux); err != nil {
			fatal("serving metrics", err)
		}
	}()
}

func fatal(what string, err error) {
	fmt.Fprintf(os.Stderr, "containerd-stargz-grpc: %s: %v\n", what, err)
	os.Exit(1)
}
