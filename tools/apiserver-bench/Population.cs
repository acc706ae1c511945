using System.Net;

namespace KvStore.ApiServerBench;

/// <summary>The namespace and its pods (about 1.4 KB of JSON each, spread over the nodes), created 32 at a time.</summary>
internal static class Population
{
    public static string PodName(int i) => $"pod-{i:D5}";

    public static string PodJson(string ns, int i, int nodes) => $$$"""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{PodName(i)}}}","namespace":"{{{ns}}}",
         "labels":{"app":"bench","shard":"s{{{i % 16}}}","pod-template-hash":"7c9f8d6b5"},
         "annotations":{"bench/sent":"0","kubernetes.io/config.source":"api"}},
         "spec":{"nodeName":"node-{{{i % nodes}}}","containers":[{"name":"app","image":"registry.example.com/bench/app:1.2.3",
           "args":["--listen=:8080","--log-level=info"],"ports":[{"name":"http","containerPort":8080}],
           "env":[{"name":"POD_INDEX","value":"{{{i}}}"},{"name":"MODE","value":"bench"}],
           "resources":{"requests":{"cpu":"10m","memory":"16Mi"},"limits":{"memory":"64Mi"}},
           "readinessProbe":{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":10}}],
          "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]}}
        """;

    public static async Task EnsureAsync(HttpClient http, Options options)
    {
        using (var ns = await Http.SendAsync(http, HttpMethod.Post, "/api/v1/namespaces",
            $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{options.Namespace}}}"}}""").ConfigureAwait(false))
        {
            if (ns.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict)) throw new InvalidOperationException($"namespace: {ns.StatusCode}");
        }
        var next = -1;
        var failures = 0;
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < options.Pods)
            {
                using var created = await Http.SendAsync(http, HttpMethod.Post, $"/api/v1/namespaces/{options.Namespace}/pods",
                    PodJson(options.Namespace, i, options.Nodes)).ConfigureAwait(false);
                if (created.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict)) Interlocked.Increment(ref failures);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(Worker))).ConfigureAwait(false);
        if (failures > 0) throw new InvalidOperationException($"{failures} pod creates failed");
    }
}
