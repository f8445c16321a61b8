// Command soci-snapshotter-grpc serves the SOCI snapshotter over containerd's
// proxy-snapshotter gRPC API. Upstream's own main lives in a module the Go
// proxy does not carry, so this small main wires the released library the same
// way: config.NewConfigFromToml, a bbolt metadata store,
// service.NewSociSnapshotterService, and containerd's snapshotservice on a
// unix socket. On SIGINT or SIGTERM it stops serving, unmounts the FUSE
// layers under --root (detaching busy ones) and then closes the snapshotter.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	golog "log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/awslabs/soci-snapshotter/config"
	"github.com/awslabs/soci-snapshotter/fs"
	commonmetrics "github.com/awslabs/soci-snapshotter/fs/metrics/common"
	"github.com/awslabs/soci-snapshotter/metadata"
	"github.com/awslabs/soci-snapshotter/service"
	"github.com/awslabs/soci-snapshotter/service/keychain/dockerconfig"
	"github.com/awslabs/soci-snapshotter/service/resolver"
	sociversion "github.com/awslabs/soci-snapshotter/version"
	"github.com/awslabs/soci-snapshotter/ztoc"
	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/v2/contrib/snapshotservice"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/log"
	"github.com/sirupsen/logrus"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
)

// version is set at build time (-ldflags "-X main.version=vX.Y.Z") to the
// soci-snapshotter release this binary was built from.
var version = "unknown"

func main() {
	showVersion := flag.Bool("version", false, "print the soci-snapshotter release and exit")
	address := flag.String("address", "", "unix socket the gRPC server listens on (required)")
	configPath := flag.String("config", "", "TOML configuration file (optional; built-in defaults otherwise)")
	root := flag.String("root", "", "state directory of the snapshotter (required)")
	logLevel := flag.String("log-level", "info", "trace, debug, info, warn, error, fatal or panic")
	flag.Parse()
	if *showVersion {
		fmt.Println("soci-snapshotter-grpc (hellobench build) soci-snapshotter", version)
		return
	}
	if *address == "" || *root == "" {
		fmt.Fprintln(os.Stderr, "soci-snapshotter-grpc: --address and --root are required")
		os.Exit(2)
	}
	sociversion.Version = version
	sociversion.Revision = "hellobench"
	if err := run(*address, *configPath, *root, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "soci-snapshotter-grpc:", err)
		os.Exit(1)
	}
}

func run(address, configPath, root, logLevel string) error {
	lvl, err := logrus.ParseLevel(logLevel)
	if err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	logrus.SetLevel(lvl)
	logrus.SetFormatter(&logrus.JSONFormatter{TimestampFormat: log.RFC3339NanoFixed})
	ctx, cancel := context.WithCancel(log.WithLogger(context.Background(), log.L))
	defer cancel()
	// go-fuse logs through the standard library logger: keep it at debug level.
	golog.SetOutput(log.G(ctx).WriterLevel(logrus.DebugLevel))
	log.G(ctx).WithField("version", version).Info("starting soci-snapshotter-grpc")

	var cfg *config.Config
	if configPath == "" {
		cfg = config.NewConfig()
		if cfg == nil {
			return errors.New("building the default configuration failed")
		}
	} else if cfg, err = config.NewConfigFromToml(configPath); err != nil {
		return err
	}

	root, err = filepath.Abs(root)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	if !cfg.SkipCheckSnapshotterSupported {
		if err := service.Supported(root); err != nil {
			return fmt.Errorf("snapshotter is not supported here: %w", err)
		}
	}

	mt, closeMeta, err := metadataStore(root, cfg)
	if err != nil {
		return fmt.Errorf("metadata store: %w", err)
	}
	defer closeMeta()

	creds := []resolver.Credential{dockerconfig.NewDockerConfigKeychain(ctx)}
	sn, err := service.NewSociSnapshotterService(ctx, root, &cfg.ServiceConfig,
		service.WithCredsFuncs(creds...),
		service.WithFilesystemOptions(fs.WithMetadataStore(mt)))
	if err != nil {
		return fmt.Errorf("starting snapshotter: %w", err)
	}

	rpc := grpc.NewServer(
		grpc.ChainUnaryInterceptor(unaryNamespace),
		grpc.ChainStreamInterceptor(streamNamespace),
	)
	snapshotsapi.RegisterSnapshotsServer(rpc, snapshotservice.FromSnapshotter(sn))

	if err := os.MkdirAll(filepath.Dir(address), 0o700); err != nil {
		sn.Close()
		return fmt.Errorf("socket directory: %w", err)
	}
	if err := os.Remove(address); err != nil && !errors.Is(err, os.ErrNotExist) {
		sn.Close()
		return fmt.Errorf("removing old socket: %w", err)
	}
	l, err := net.Listen("unix", address)
	if err != nil {
		sn.Close()
		return fmt.Errorf("listening on %s: %w", address, err)
	}

	if cfg.MetricsAddress != "" {
		if err := serveMetrics(cfg.MetricsNetwork, cfg.MetricsAddress); err != nil {
			sn.Close()
			return err
		}
	}

	sigCh := make(chan os.Signal, 1)
	signal.Notify(sigCh, syscall.SIGINT, syscall.SIGTERM)
	errCh := make(chan error, 1)
	go func() { errCh <- rpc.Serve(l) }()
	log.G(ctx).WithField("address", address).WithField("root", root).
		Info("soci-snapshotter-grpc successfully started")

	var serveErr error
	select {
	case s := <-sigCh:
		log.G(ctx).Infof("got %v, shutting down", s)
	case serveErr = <-errCh:
		log.G(ctx).WithError(serveErr).Error("gRPC server stopped")
	}

	// Stop serving: give in-flight calls a moment, then cut them.
	stopped := make(chan struct{})
	go func() { rpc.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		rpc.Stop()
	}
	_ = os.Remove(address)

	// Unmount the FUSE layers ourselves BEFORE closing the snapshotter.
	// Snapshotter.Close would unmount them too, but it first frees each
	// layer's zinfo/span state and only then unmounts, so a FUSE read still
	// arriving from a running container crashes the process (SIGSEGV in cgo,
	// seen with v0.16.1). A busy mount (a container still runs on it) is
	// detached; its users see errors once this process exits.
	for _, mp := range fuseMountsUnder(root) {
		if err := unix.Unmount(mp, 0); err == nil {
			log.G(ctx).WithField("mountpoint", mp).Debug("unmounted FUSE layer")
			continue
		} else if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil {
			log.G(ctx).WithError(err).WithField("mountpoint", mp).Warn("unmount failed")
			continue
		}
		log.G(ctx).WithField("mountpoint", mp).Warn("FUSE layer busy (a container still uses it): detached")
	}
	// Close now finds nothing mounted and closes the snapshot metadata DB.
	if err := sn.Close(); err != nil {
		log.G(ctx).WithError(err).Warn("closing snapshotter")
	}
	for _, mp := range fuseMountsUnder(root) {
		log.G(ctx).WithField("mountpoint", mp).Warn("FUSE mount left behind")
	}
	log.G(ctx).Info("exiting")
	return serveErr
}

// metadataStore opens the bbolt-backed store of per-layer file metadata, as
// upstream's daemon does ("db": one file; "db-multi": one file per layer).
func metadataStore(root string, cfg *config.Config) (metadata.Store, func(), error) {
	opts := bolt.Options{
		NoFreelistSync:  true,
		InitialMmapSize: 64 * 1024 * 1024,
		FreelistType:    bolt.FreelistMapType,
	}
	switch cfg.MetadataStore {
	case "", "db":
		opts.NoSync = cfg.MetadataDBNoSync
		db, err := bolt.Open(filepath.Join(root, "metadata.db"), 0o600, &opts)
		if err != nil {
			return nil, nil, err
		}
		chunk := cfg.MetadataInsertionChunkSize
		return func(sr *io.SectionReader, toc ztoc.TOC, o ...metadata.Option) (metadata.Reader, error) {
			if chunk > 0 {
				o = append(o, metadata.WithInsertionChunkSize(chunk))
			}
			return metadata.NewReader(db, sr, toc, o...)
		}, func() { db.Close() }, nil
	case "db-multi":
		dir := filepath.Join(root, "metadata")
		return metadata.NewMultiReader(dir, metadata.DBMultiOptions{BoltOptions: &opts}), func() {}, nil
	default:
		return nil, nil, fmt.Errorf("unknown metadata_store %q (db or db-multi)", cfg.MetadataStore)
	}
}

// fuseMountsUnder lists FUSE mount points below root, deepest first.
func fuseMountsUnder(root string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		// id parent major:minor root mountpoint opts [optional...] - fstype source superopts
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 5 || sep < 0 || sep+1 >= len(fields) {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if !strings.HasPrefix(fields[sep+1], "fuse") {
			continue
		}
		if mp == root || strings.HasPrefix(mp, root+"/") {
			out = append(out, mp)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// unescapeMountinfo undoes the octal escapes (\040 etc.) of mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			v := 0
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + int(c-'0')
			}
			if ok {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// The namespace arrives in incoming gRPC metadata; the snapshotter library
// reads it from the context as containerd's own server would set it.
func unaryNamespace(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if ns, ok := namespaces.Namespace(ctx); ok {
		ctx = namespaces.WithNamespace(ctx, ns)
	}
	return h(ctx, req)
}

func streamNamespace(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if ns, ok := namespaces.Namespace(ss.Context()); ok {
		ss = &streamWithContext{ServerStream: ss, ctx: namespaces.WithNamespace(ss.Context(), ns)}
	}
	return h(srv, ss)
}

type streamWithContext struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *streamWithContext) Context() context.Context { return s.ctx }

// serveMetrics serves what the file system counts (bytes served to reads, fetches, latencies)
// in Prometheus's text format at the config's metrics_address, as upstream's daemon does.
func serveMetrics(network, address string) error {
	commonmetrics.Register()
	if network == "unix" {
		_ = os.Remove(address)
	}
	l, err := net.Listen(network, address)
	if err != nil {
		return fmt.Errorf("metrics: listening on %s: %w", address, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.Handler())
	go func() { _ = http.Serve(l, mux) }()
	return nil
}
