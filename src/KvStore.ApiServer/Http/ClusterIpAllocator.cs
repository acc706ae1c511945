using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Storage;

namespace KvStore.ApiServer.Http;

/// <summary>
/// A service's ClusterIP from --service-cluster-ip-range (kube's ipallocator): one key per address under
/// /registry/ipaddresses/, as kube 1.31+'s IPAddress objects. KubectlImperativeTests, KubectlTests.
/// </summary>
internal sealed class ClusterIpAllocator(ObjectStore store, ClusterIpRange range)
{
    private readonly KeyAllocator _keys = new(store, "/registry/ipaddresses/", "IPAddress", "networking.k8s.io/v1beta1");

    private static ApiError Invalid(string ip, string why) =>
        ApiError.Invalid(Resources.ResourceCatalog.Find("", "v1", "services")!, "", [
            new FieldCause("FieldValueInvalid", $"Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: {why}", "spec.clusterIPs")]);

    private ApiError NotInRange(string ip) => Invalid(ip,
        $"the provided IP ({ip}) is not in the valid range. The range of valid IPs is {range.Text}");

    /// <summary>
    /// Sets spec.clusterIP/clusterIPs: the requested one if it is free and in range, "None" for headless services, none
    /// for ExternalName, else a random free one (kube prefers the upper part of the range for dynamic addresses, leaving
    /// the lower band of min(max(16, size/16), 256) addresses to static requests; the first address, the kubernetes
    /// service's, only on request). Returns the address taken, or null.
    /// </summary>
    public async Task<string?> AllocateAsync(JsonObject service, CancellationToken cancellationToken)
    {
        var spec = (JsonObject)service["spec"]!;
        if (ObjectDefaults.Str(spec["type"]) == "ExternalName") return null;
        var requested = ObjectDefaults.Str(spec["clusterIP"]);
        if (requested is null or "" && spec["clusterIPs"] is JsonArray { Count: > 0 } ips) requested = ObjectDefaults.Str(ips[0]);
        if (requested == "None")
        {
            spec["clusterIP"] = "None";
            spec["clusterIPs"] = new JsonArray("None");
            return null;
        }
        if (requested is { Length: > 0 })
        {
            if (!range.Contains(requested, out _)) throw NotInRange(requested);
            if (!await _keys.TryTakeAsync(requested, service, cancellationToken).ConfigureAwait(false)) throw Invalid(requested,
                "provided IP is already allocated");
            SetIp(spec, requested);
            return requested;
        }
        foreach (var index in KeyAllocator.Candidates(range.Count, Math.Min(Math.Max(16, range.Count / 16), 256), includeFirst: false))
        {
            var candidate = range.At(index);
            if (await _keys.TryTakeAsync(candidate, service, cancellationToken).ConfigureAwait(false))
            {
                SetIp(spec, candidate);
                return candidate;
            }
        }
        throw new ApiError(500, "InternalError", "Internal error occurred: failed to allocate a serviceIP: range is full");
    }

    private static void SetIp(JsonObject spec, string ip)
    {
        spec["clusterIP"] = ip;
        spec["clusterIPs"] = new JsonArray(ip);
    }

    /// <summary>dryRun: what the create would look like, without taking an address.</summary>
    public void Preview(JsonObject service)
    {
        var spec = (JsonObject)service["spec"]!;
        if (ObjectDefaults.Str(spec["type"]) == "ExternalName") return;
        if (ObjectDefaults.Str(spec["clusterIP"]) is { Length: > 0 } ip)
        {
            spec["clusterIPs"] ??= new JsonArray(ip);
            if (ip != "None" && !range.Contains(ip, out _)) throw NotInRange(ip);
        }
    }

    public Task ReleaseAsync(string ip, CancellationToken cancellationToken) => _keys.ReleaseAsync(ip, cancellationToken);

    /// <summary>The addresses a deleted service held (clusterIP and clusterIPs), released.</summary>
    public async Task ReleaseAsync(JsonObject service, CancellationToken cancellationToken)
    {
        foreach (var ip in (service["spec"]?["clusterIPs"] as JsonArray ?? []).Select(ObjectDefaults.Str).Append(
            ObjectDefaults.Str(service["spec"]?["clusterIP"])).Distinct())
        {
            if (ip is { Length: > 0 } and not "None") await ReleaseAsync(ip, cancellationToken).ConfigureAwait(false);
        }
    }
}
