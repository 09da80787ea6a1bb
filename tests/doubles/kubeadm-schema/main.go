// SPDX-License-Identifier: LGPL-2.1-or-later

// Prints the field tree of the configuration kinds "kubeadm config validate" reads, as
// the Go types of the pinned Kubernetes release declare them, for the kubeadm test
// double (tests/doubles/kubeadm). Run by ./generate; the output is committed.
//
// Each struct is listed once, by its Go name ("v1beta4.APIEndpoint"): for each JSON
// field, what it holds and the Go type encoding/json names in its errors. Kinds:
// string, bool, int, uint, float, duration (metav1.Duration), time (metav1.Time), any
// (decoded by its own rules, not checked: quantities, raw objects, ...), list:<kind>,
// map:<kind>, struct:<Go name>.
package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeproxy "k8s.io/kube-proxy/config/v1alpha1"
	kubelet "k8s.io/kubelet/config/v1beta1"
	kubeadm "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4"
)

type field struct {
	Kind   string `json:"kind"`
	GoType string `json:"goType"`
}

var structs = map[string]map[string]field{}

var (
	durationType = reflect.TypeOf(metav1.Duration{})
	timeType     = reflect.TypeOf(metav1.Time{})
	unmarshaler  = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
)

func kindOf(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return "duration"
	case t == timeType:
		return "time"
	case reflect.PointerTo(t).Implements(unmarshaler) || t.Implements(unmarshaler):
		return "any"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "int"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "uint"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string" // []byte is base64 text
		}
		return "list:" + kindOf(t.Elem())
	case reflect.Map:
		return "map:" + kindOf(t.Elem())
	case reflect.Struct:
		walk(t)
		return "struct:" + t.String()
	}
	return "any"
}

func goType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.String()
}

// fields adds t's JSON fields to out, inlined ones included, as encoding/json sees them.
func fields(t reflect.Type, out map[string]field) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct || strings.Contains(opts, "inline") {
			fields(ft, out)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = field{Kind: kindOf(f.Type), GoType: goType(f.Type)}
	}
}

func walk(t reflect.Type) {
	if _, seen := structs[t.String()]; seen {
		return
	}
	out := map[string]field{}
	structs[t.String()] = out
	fields(t, out)
}

func main() {
	roots := map[string]string{}
	for gvk, v := range map[string]any{
		"kubeadm.k8s.io/v1beta4/InitConfiguration":                &kubeadm.InitConfiguration{},
		"kubeadm.k8s.io/v1beta4/ClusterConfiguration":             &kubeadm.ClusterConfiguration{},
		"kubeadm.k8s.io/v1beta4/JoinConfiguration":                &kubeadm.JoinConfiguration{},
		"kubeadm.k8s.io/v1beta4/ResetConfiguration":               &kubeadm.ResetConfiguration{},
		"kubeadm.k8s.io/v1beta4/UpgradeConfiguration":             &kubeadm.UpgradeConfiguration{},
		"kubelet.config.k8s.io/v1beta1/KubeletConfiguration":       &kubelet.KubeletConfiguration{},
		"kubeproxy.config.k8s.io/v1alpha1/KubeProxyConfiguration": &kubeproxy.KubeProxyConfiguration{},
	} {
		t := reflect.TypeOf(v).Elem()
		walk(t)
		roots[gvk] = t.String()
	}
	names := make([]string, 0, len(structs))
	for n := range structs {
		names = append(names, n)
	}
	sort.Strings(names)
	// One struct a line, in name order (encoding/json sorts map keys): the same output
	// for the same release, and a diff shows what a new one changed.
	out, _ := json.Marshal(roots)
	fmt.Printf("{\"roots\": %s,\n \"structs\": {\n", out)
	for i, n := range names {
		out, _ = json.Marshal(structs[n])
		sep := ","
		if i == len(names)-1 {
			sep = ""
		}
		fmt.Printf("  %q: %s%s\n", n, out, sep)
	}
	fmt.Println(" }}")
}
