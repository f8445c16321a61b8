// nydus-convert converts an image that is already in containerd's content
// store into a Nydus (RAFS v6) image, under a new name in the same store.
// Push the result afterwards with `ctr image push --plain-http DST`.
//
// It wires nydus-snapshotter's pkg/converter into containerd's image
// converter: LayerConvertFunc packs each OCI layer into a Nydus blob with
// nydus-image, and the post-convert hook merges the per-layer bootstraps into
// the bootstrap layer appended to the manifest. The optional prefetch list
// (one absolute path per line) is handed to nydus-image (pack and merge), which
// records it as the bootstrap's prefetch table.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/images/converter"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	nydusconv "github.com/containerd/nydus-snapshotter/pkg/converter"
	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const version = "0.1.0"

func depVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "unknown"
}

// readPrefetch returns the prefetch list in the form nydus-image reads on
// stdin with `--prefetch-policy fs`: absolute paths separated by newlines.
func readPrefetch(path string) (string, int, error) {
	if path == "" {
		return "", 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "/") {
			return "", 0, fmt.Errorf("%s:%d: not an absolute path: %q", path, n, line)
		}
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return "", 0, err
	}
	if len(out) == 0 {
		return "", 0, fmt.Errorf("%s: no paths", path)
	}
	return strings.Join(out, "\n") + "\n", len(out), nil
}

func readManifest(ctx context.Context, cs content.Store, desc ocispec.Descriptor) (ocispec.Manifest, ocispec.Descriptor, error) {
	var m ocispec.Manifest
	if images.IsIndexType(desc.MediaType) {
		b, err := content.ReadBlob(ctx, cs, desc)
		if err != nil {
			return m, desc, err
		}
		var idx ocispec.Index
		if err := json.Unmarshal(b, &idx); err != nil {
			return m, desc, err
		}
		if len(idx.Manifests) == 0 {
			return m, desc, errors.New("empty index")
		}
		desc = idx.Manifests[0]
	}
	b, err := content.ReadBlob(ctx, cs, desc)
	if err != nil {
		return m, desc, err
	}
	err = json.Unmarshal(b, &m)
	return m, desc, err
}

func main() {
	var (
		address      = flag.String("address", "/run/containerd/containerd.sock", "containerd gRPC socket address")
		namespace    = flag.String("namespace", "default", "containerd namespace")
		src          = flag.String("src", "", "source image ref (already in the content store)")
		dst          = flag.String("dst", "", "destination image ref")
		nydusImage   = flag.String("nydus-image", "nydus-image", "path of the nydus-image builder")
		prefetchFile = flag.String("prefetch-file", "", "file with paths to prefetch, one absolute path per line")
		compressor   = flag.String("compressor", "zstd", "blob compressor: none, lz4_block, zstd")
		fsVersion    = flag.String("fs-version", "6", "RAFS version: 5 or 6")
		chunkSize    = flag.String("chunk-size", "", "chunk size, power of two in 0x1000-0x1000000 (builder default if empty)")
		workDir      = flag.String("work-dir", "", "base directory for temporary files (default $NYDUS_WORKDIR or $TMPDIR)")
		allPlatforms = flag.Bool("all-platforms", false, "convert every platform of an index (default: host platform only)")
		timeout      = flag.Duration("timeout", 30*time.Minute, "overall timeout")
		showVersion  = flag.Bool("version", false, "print version and exit")
	)
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [flags] --src REF --dst REF  (or: %s [flags] SRC DST)\n", os.Args[0], os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if *showVersion {
		fmt.Printf("nydus-convert %s (nydus-snapshotter %s, containerd %s)\n", version,
			depVersion("github.com/containerd/nydus-snapshotter"), depVersion("github.com/containerd/containerd/v2"))
		return
	}
	if args := flag.Args(); len(args) == 2 && *src == "" && *dst == "" {
		*src, *dst = args[0], args[1]
	} else if len(args) != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *src == "" || *dst == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*address, *namespace, *src, *dst, *nydusImage, *prefetchFile, *compressor, *fsVersion, *chunkSize, *workDir, *allPlatforms, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "nydus-convert:", err)
		os.Exit(1)
	}
}

func run(address, ns, src, dst, builder, prefetchFile, compressor, fsVersion, chunkSize, workDir string, allPlatforms bool, timeout time.Duration) error {
	start := time.Now()
	patterns, nPatterns, err := readPrefetch(prefetchFile)
	if err != nil {
		return fmt.Errorf("prefetch list: %w", err)
	}
	if _, err := os.Stat(builder); err != nil && strings.Contains(builder, "/") {
		return fmt.Errorf("nydus-image: %w", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx = namespaces.WithNamespace(ctx, ns)

	client, err := containerd.New(address, containerd.WithDefaultNamespace(ns))
	if err != nil {
		return fmt.Errorf("connect %s: %w", address, err)
	}
	defer client.Close()

	var platMC platforms.MatchComparer = platforms.DefaultStrict()
	if allPlatforms {
		platMC = platforms.All
	}

	pack := nydusconv.PackOption{
		WorkDir:          workDir,
		BuilderPath:      builder,
		FsVersion:        fsVersion,
		Compressor:       compressor,
		ChunkSize:        chunkSize,
		PrefetchPatterns: patterns,
	}
	merge := nydusconv.MergeOption{
		WorkDir:          workDir,
		BuilderPath:      builder,
		FsVersion:        fsVersion,
		PrefetchPatterns: patterns,
		OCI:              true,
	}
	indexConv := converter.IndexConvertFuncWithHook(
		nydusconv.LayerConvertFunc(pack),
		true, // docker media types -> OCI
		platMC,
		converter.ConvertHooks{PostConvertHook: nydusconv.ConvertHookFunc(merge)},
	)
	img, err := converter.Convert(ctx, client, dst, src,
		converter.WithPlatform(platMC),
		converter.WithIndexConvertFunc(indexConv))
	if err != nil {
		return fmt.Errorf("convert %s -> %s: %w", src, dst, err)
	}

	// Summarise what was written.
	m, mdesc, err := readManifest(ctx, client.ContentStore(), img.Target)
	if err != nil {
		return fmt.Errorf("read converted manifest: %w", err)
	}
	var blobs, blobBytes, bootBytes int64
	for _, l := range m.Layers {
		if nydusconv.IsNydusBootstrap(l) {
			bootBytes += l.Size
		} else {
			blobs++
			blobBytes += l.Size
		}
	}
	if bootBytes == 0 {
		return fmt.Errorf("converted manifest %s has no nydus bootstrap layer", mdesc.Digest)
	}
	fmt.Printf("nydus-convert: %s -> %s manifest=%s blobs=%d blob_bytes=%d bootstrap_bytes=%d fs_version=%s compressor=%s prefetch_paths=%d seconds=%.2f\n",
		src, dst, mdesc.Digest, blobs, blobBytes, bootBytes, fsVersion, compressor, nPatterns, time.Since(start).Seconds())
	return nil
}
