using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Storage;

namespace KvStore.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>One key per allocated ClusterIP (as kube 1.31+'s IPAddress objects): the create transaction makes two
    /// services racing for one address see AlreadyExists. Not a served resource.</summary>
    internal const string IpAddressPrefix = "/registry/ipaddresses/";

    private static JsonObject ServiceSpec(JsonObject service) => (JsonObject)service["spec"]!;

    private static ApiError IpInvalid(string ip, string why) =>
        ApiError.Invalid(Resources.ResourceCatalog.Find("", "v1", "services")!, "", [
            new FieldCause("FieldValueInvalid", $"Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: {why}", "spec.clusterIPs")]);

    /// <summary>
    /// Sets spec.clusterIP/clusterIPs: the requested one if it is free and in range, "None" for headless services, none
    /// for ExternalName, else a random free one (kube prefers the upper part of the range for dynamic addresses, leaving
    /// the lower band to static requests). Returns the address taken, or null.
    /// </summary>
    private async Task<string?> AllocateClusterIpAsync(JsonObject service, CancellationToken cancellationToken)
    {
        var spec = ServiceSpec(service);
        if (ObjectDefaults.Str(spec["type"]) == "ExternalName") return null;
        var requested = ObjectDefaults.Str(spec["clusterIP"]);
        if (requested is null or "" && spec["clusterIPs"] is JsonArray { Count: > 0 } ips) requested = ObjectDefaults.Str(ips[0]);
        if (requested == "None")
        {
            spec["clusterIP"] = "None";
            spec["clusterIPs"] = new JsonArray("None");
            return null;
        }
        var name = ObjectDefaults.Str(service["metadata"]?["name"]) ?? "";
        var owner = new JsonObject
        {
            ["kind"] = "IPAddress",
            ["apiVersion"] = "networking.k8s.io/v1beta1",
            ["metadata"] = new JsonObject { ["name"] = "" },
            ["spec"] = new JsonObject
            {
                ["parentRef"] = new JsonObject
                {
                    ["group"] = "", ["resource"] = "services",
                    ["namespace"] = ObjectDefaults.Str(service["metadata"]?["namespace"]), ["name"] = name,
                },
            },
        };
        if (requested is { Length: > 0 })
        {
            if (!_serviceRange.Contains(requested, out _))
            {
                throw IpInvalid(requested, $"the provided IP ({requested}) is not in the valid range. The range of valid IPs is {_serviceRange.Text}");
            }
            if (!await TryTakeAsync(requested).ConfigureAwait(false)) throw IpInvalid(requested, "provided IP is already allocated");
            SetIp(requested);
            return requested;
        }
        foreach (var index in Candidates(_serviceRange.Count))
        {
            var candidate = _serviceRange.At(index);
            if (await TryTakeAsync(candidate).ConfigureAwait(false))
            {
                SetIp(candidate);
                return candidate;
            }
        }
        throw new ApiError(500, "InternalError", "Internal error occurred: failed to allocate a serviceIP: range is full");

        void SetIp(string ip)
        {
            spec["clusterIP"] = ip;
            spec["clusterIPs"] = new JsonArray(ip);
        }

        async Task<bool> TryTakeAsync(string ip)
        {
            owner["metadata"]!["name"] = ip;
            try
            {
                await store.CreateAsync(IpAddressPrefix + ip, (JsonObject)owner.DeepClone(), 0, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (StoreException e) when (e.Error == StoreError.AlreadyExists)
            {
                return false;
            }
        }
    }

    /// <summary>Indexes to try: the dynamic band from a random point, then the static band (index 0, the kubernetes
    /// service's address, is only given on request). kube's static band: min(max(16, size/16), 256) addresses.</summary>
    private static IEnumerable<long> Candidates(long count)
    {
        var lowBand = Math.Min(Math.Max(16, count / 16), 256);
        if (lowBand >= count) lowBand = 1;
        var dynamicSize = count - lowBand;
        var start = RandomNumberGenerator.GetInt32((int)Math.Min(dynamicSize, int.MaxValue));
        for (long i = 0; i < dynamicSize; i++) yield return lowBand + (start + i) % dynamicSize;
        for (long i = 1; i < lowBand; i++) yield return i;
    }

    /// <summary>dryRun: what the create would look like, without taking an address.</summary>
    private void PreviewClusterIp(JsonObject service)
    {
        var spec = ServiceSpec(service);
        if (ObjectDefaults.Str(spec["type"]) == "ExternalName") return;
        if (ObjectDefaults.Str(spec["clusterIP"]) is { Length: > 0 } ip)
        {
            spec["clusterIPs"] ??= new JsonArray(ip);
            if (ip != "None" && !_serviceRange.Contains(ip, out _))
            {
                throw IpInvalid(ip, $"the provided IP ({ip}) is not in the valid range. The range of valid IPs is {_serviceRange.Text}");
            }
        }
    }

    private async Task ReleaseClusterIpAsync(string ip, CancellationToken cancellationToken)
    {
        try
        {
            await store.DeleteAsync(IpAddressPrefix + ip, null, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreException e) when (e.Error == StoreError.NotFound)
        {
        }
    }
}
