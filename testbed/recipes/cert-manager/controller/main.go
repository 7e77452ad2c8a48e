// Command flink-platform-cert-manager runs cert-manager's own certificate and issuer controllers (from the module
// github.com/cert-manager/cert-manager at the pinned release) against one cluster, for the project's test bed.
//
// cert-manager's controller binary is a module of its own (cmd/controller, "controller-binary") that the Go module
// proxy does not serve; this file is the project's wiring of the same packages, built inside a copy of the
// cert-manager module (see testbed/certmanager/controller.py): the controllers register themselves with
// pkg/controller (their init functions), this command builds cert-manager's controller context from a kubeconfig,
// starts the enabled controllers and the shared informers, and stops on SIGINT/SIGTERM. With --inject-ca (the
// default) the same process also runs cert-manager's CA injector (pkg/controller/cainjector, as cmd/cainjector
// wires it: a controller-runtime manager) for Mutating/ValidatingWebhookConfigurations, so a webhook configuration
// annotated cert-manager.io/inject-ca-from=<namespace>/<certificate> gets that Certificate's CA as caBundle.
// No leader election (one replica), no ACME, no ingress/gateway shims, no metrics or health servers.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	apiext "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	kscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2"
	apireg "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/cert-manager/cert-manager/internal/kube"
	"github.com/cert-manager/cert-manager/pkg/acme/accounts"
	cmscheme "github.com/cert-manager/cert-manager/pkg/client/clientset/versioned/scheme"
	"github.com/cert-manager/cert-manager/pkg/controller"
	"github.com/cert-manager/cert-manager/pkg/controller/cainjector"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/cert-manager/cert-manager/pkg/metrics"

	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

func main() {
	// controller-runtime (the CA injector's) registers --kubeconfig on the default flag set itself.
	if flag.Lookup("kubeconfig") == nil {
		flag.String("kubeconfig", "", "kubeconfig of the cluster (its current context)")
	}
	namespace := flag.String("namespace", "", "only this namespace (default: all)")
	clusterResourceNamespace := flag.String("cluster-resource-namespace", "cert-manager",
		"namespace of the Secrets ClusterIssuers read")
	workers := flag.Int("workers", 5, "workers per controller")
	enabled := flag.String("controllers", "", "comma-separated controllers to run (default: every one compiled in)")
	injectCA := flag.Bool("inject-ca", true, "also run the CA injector for webhook configurations")
	klog.InitFlags(nil) // -v and the other klog flags (cert-manager logs through klog)
	logf.InitLogs()
	defer logf.FlushLogs()
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx = logf.NewContext(ctx, logf.Log, "controller")
	kubeconfig := flag.Lookup("kubeconfig").Value.String()
	if err := run(ctx, kubeconfig, *namespace, *clusterResourceNamespace, *workers, *enabled, *injectCA); err != nil {
		fmt.Fprintf(os.Stderr, "flink-platform-cert-manager: %v\n", err)
		os.Exit(1)
	}
}

func run(rootCtx context.Context, kubeconfig, namespace, clusterResourceNamespace string, workers int,
	enabled string, injectCA bool) error {
	log := logf.FromContext(rootCtx)
	known := controller.Known()
	names := make([]string, 0, len(known))
	for name := range known {
		names = append(names, name)
	}
	sort.Strings(names)
	if enabled != "" {
		names = strings.Split(enabled, ",")
		for _, name := range names {
			if _, ok := known[name]; !ok {
				return fmt.Errorf("unknown controller %q (compiled in: %v)", name, keys(known))
			}
		}
	}

	factory, err := controller.NewContextFactory(rootCtx, controller.ContextOptions{
		Kubeconfig:         kubeconfig,
		KubernetesAPIQPS:   20,
		KubernetesAPIBurst: 50,
		Namespace:          namespace,
		Clock:              clock.RealClock{},
		Metrics:            metrics.New(log, clock.RealClock{}),
		ACMEOptions:        controller.ACMEOptions{AccountRegistry: accounts.NewDefaultRegistry()},
		IssuerOptions:      controller.IssuerOptions{ClusterResourceNamespace: clusterResourceNamespace},
	})
	if err != nil {
		return fmt.Errorf("building the controller context: %w", err)
	}
	base, err := factory.Build()
	if err != nil {
		return fmt.Errorf("building the controller context: %w", err)
	}

	group, ctx := errgroup.WithContext(rootCtx)
	if injectCA {
		manager, err := caInjector(ctx, kubeconfig, namespace)
		if err != nil {
			return fmt.Errorf("starting the CA injector: %w", err)
		}
		group.Go(func() error { return manager.Start(ctx) })
	}
	for _, name := range names {
		iface, err := known[name](factory)
		if err != nil {
			return fmt.Errorf("starting controller %s: %w", name, err)
		}
		log.Info("starting controller", "controller", name)
		group.Go(func() error { return iface.Run(workers, ctx) })
	}
	base.SharedInformerFactory.Start(ctx.Done())
	base.KubeSharedInformerFactory.Start(ctx.Done())
	base.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())
	log.Info("controllers started", "controllers", strings.Join(names, ","))
	err = group.Wait()
	base.HTTP01ResourceMetadataInformersFactory.Shutdown()
	base.KubeSharedInformerFactory.Shutdown()
	base.SharedInformerFactory.Shutdown()
	return err
}

// caInjector is a controller-runtime manager with cert-manager's injectors for webhook configurations, the CA
// read from the Certificate named in the annotation (the Certificates data source) or from a Secret.
func caInjector(ctx context.Context, kubeconfig, namespace string) (ctrl.Manager, error) {
	ctrl.SetLogger(logf.FromContext(ctx).WithName("cainjector"))
	restConfig, err := kube.BuildClientConfig("", kubeconfig)
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(kscheme.AddToScheme(scheme))
	utilruntime.Must(cmscheme.AddToScheme(scheme))
	utilruntime.Must(apiext.AddToScheme(scheme))
	utilruntime.Must(apireg.AddToScheme(scheme))
	manager, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:  scheme,
		Client:  client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
		Metrics: metricsserver.Options{BindAddress: "0"},
	})
	if err != nil {
		return nil, err
	}
	err = cainjector.RegisterAllInjectors(ctx, manager, cainjector.SetupOptions{
		Namespace:                    namespace,
		EnableCertificatesDataSource: true,
		EnabledReconcilersFor: map[string]bool{
			cainjector.MutatingWebhookConfigurationName:   true,
			cainjector.ValidatingWebhookConfigurationName: true,
		},
	})
	return manager, err
}

func keys(m map[string]controller.Constructor) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
