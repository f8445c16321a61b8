package main

import (
	"reflect"
	"testing"

	"github.com/containerd/stargz-snapshotter/service"
	"github.com/pelletier/go-toml/v2"
)

// The config a daemon runs with must be upstream's: tag defaults first, the file over them.
func TestDefaultsThenFile(t *testing.T) {
	var cfg service.Config
	applyDefaults(reflect.ValueOf(&cfg).Elem())
	if !cfg.DirectoryCacheConfig.Direct {
		t.Fatal("directory_cache.direct should default to true, as upstream's daemon has it")
	}
	if cfg.FuseConfig.MergeWorkerCount != 10 || cfg.FuseConfig.MergeBufferSize != 419430400 {
		t.Fatalf("merge defaults: %+v", cfg.FuseConfig)
	}
	if err := toml.Unmarshal([]byte("noprefetch = true\n[directory_cache]\ndirect = false\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.DirectoryCacheConfig.Direct || !cfg.NoPrefetch {
		t.Fatalf("the file should win over the defaults: %+v", cfg)
	}
}
