using System.Globalization;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Storage;

namespace KvStore.ApiServer.Http;

/// <summary>
/// A service's node ports from --service-node-port-range (kube's portallocator and the service REST's initNodePorts /
/// updateNodePorts): a NodePort service, or a LoadBalancer one unless allocateLoadBalancerNodePorts is false, gets one per
/// port (ports of the same number share one), and a LoadBalancer with externalTrafficPolicy Local a healthCheckNodePort.
/// A requested port must be in range and free, else kube's Invalid (`spec.ports[0].nodePort: Invalid value: 31000:
/// provided port is already allocated`). One key per taken port under /registry/servicenodeports/.
/// KubectlImperativeTests.NodePortsAreAllocatedFromTheRange.
/// </summary>
internal sealed class NodePortAllocator(ObjectStore store, NodePortRange range)
{
    private readonly KeyAllocator _keys = new(store, "/registry/servicenodeports/");

    /// <summary>What a service still needs before <see cref="Assign"/> can complete: ports asked for by value (with their
    /// field), and how many to pick.</summary>
    public sealed class Needed(JsonObject service, IReadOnlyList<(int Port, string Field)> requested, int fresh) : Exception("node ports to allocate")
    {
        public JsonObject Service { get; } = service;

        public IReadOnlyList<(int Port, string Field)> Requested { get; } = requested;

        public int Fresh { get; } = fresh;
    }

    private static string Type(JsonObject? service) => ObjectDefaults.Str(service?["spec"]?["type"]) ?? "ClusterIP";

    private static bool NeedsNodePorts(JsonObject? service) => Type(service) is "NodePort" or "LoadBalancer";

    private static bool AllocatesNodePorts(JsonObject service) => Type(service) == "NodePort" ||
        (Type(service) == "LoadBalancer"
            && service["spec"]?["allocateLoadBalancerNodePorts"]?.GetValueKind() != System.Text.Json.JsonValueKind.False);

    private static bool NeedsHealthCheckNodePort(JsonObject? service) =>
        Type(service) == "LoadBalancer" && ObjectDefaults.Str(service!["spec"]?["externalTrafficPolicy"]) == "Local";

    private static int Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0;

    private static List<JsonObject> Ports(JsonObject? service) => (service?["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();

    /// <summary>The node ports a stored service holds (its ports' and its health check's).</summary>
    public static HashSet<int> Held(JsonObject? service)
    {
        var held = Ports(service).Select(p => Int(p["nodePort"])).Where(p => p > 0).ToHashSet();
        if (Int(service?["spec"]?["healthCheckNodePort"]) is > 0 and var health) held.Add(health);
        return held;
    }

    /// <summary>
    /// kube's patchAllocatedValues and dropTypeDependentFields on an update: a port left without a node port keeps the one
    /// of the old port of its name (unless another port now uses it), and so does the health check; a service that stops
    /// needing them loses those it did not change.
    /// </summary>
    public static void KeepAllocated(JsonObject old, JsonObject updated)
    {
        var oldPorts = Ports(old);
        var newPorts = Ports(updated);
        if (NeedsNodePorts(old) && NeedsNodePorts(updated))
        {
            var used = oldPorts.Select(p => Int(p["nodePort"])).Intersect(newPorts.Select(p => Int(p["nodePort"]))).ToHashSet();
            var byName = oldPorts.GroupBy(p => ObjectDefaults.Str(p["name"]) ?? "").ToDictionary(g => g.Key, g => Int(g.Last()["nodePort"]));
            foreach (var port in newPorts.Where(p => Int(p["nodePort"]) == 0))
            {
                if (byName.GetValueOrDefault(ObjectDefaults.Str(port["name"]) ?? "") is > 0 and var kept && !used.Contains(kept)) port["nodePort"] =
                    kept;
            }
        }
        else if (NeedsNodePorts(old) && oldPorts.Select(p => Int(p["nodePort"])).SequenceEqual(newPorts.Select(p => Int(p["nodePort"]))))
        {
            foreach (var port in newPorts) port.Remove("nodePort");
        }
        if (updated["spec"] is not JsonObject spec) return;
        var oldHealth = Int(old["spec"]?["healthCheckNodePort"]);
        if (NeedsHealthCheckNodePort(old) && NeedsHealthCheckNodePort(updated) && Int(spec["healthCheckNodePort"]) == 0 && oldHealth > 0)
            spec["healthCheckNodePort"] = oldHealth;
        else if (NeedsHealthCheckNodePort(old) && !NeedsHealthCheckNodePort(updated) && Int(spec["healthCheckNodePort"]) == oldHealth)
            spec.Remove("healthCheckNodePort");
    }

    /// <summary>
    /// Fills the node ports <paramref name="service"/> needs from those <paramref name="old"/> (the stored service, null on
    /// create) held and those this request has <paramref name="taken"/>; throws <see cref="Needed"/> for what must be taken
    /// first. Synchronous, so it runs inside a read-modify-write.
    /// </summary>
    public static void Assign(JsonObject service, JsonObject? old, IReadOnlySet<int> taken)
    {
        var held = Held(old);
        var named = Held(service); // asked for by value: never handed to another port
        var spare = new Queue<int>(taken.Where(p => !held.Contains(p) && !named.Contains(p)).Order());
        var requested = new List<(int, string)>();
        var fresh = 0;
        var ports = Ports(service);
        var byNumber = new Dictionary<int, int>();
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var nodePort = Int(port["nodePort"]);
            if (nodePort == 0 && !AllocatesNodePorts(service)) continue;
            var number = Int(port["port"]);
            // ports of one number (TCP and UDP) share a node port, which a later one of them may name
            if (nodePort == 0) nodePort = byNumber.GetValueOrDefault(number);
            if (nodePort == 0) nodePort = ports.Skip(i + 1).Where(p => Int(p["port"]) == number).Select(p => Int(p["nodePort"]))
                .FirstOrDefault(p => p > 0);
            if (nodePort == 0 && !spare.TryDequeue(out nodePort))
            {
                fresh++;
                continue;
            }
            if (!held.Contains(nodePort) && !taken.Contains(nodePort)) requested.Add((nodePort, $"spec.ports[{i}].nodePort"));
            port["nodePort"] = nodePort;
            byNumber[number] = nodePort;
        }
        if (NeedsHealthCheckNodePort(service) && service["spec"] is JsonObject spec)
        {
            var health = Int(spec["healthCheckNodePort"]);
            if (health == 0 && spare.TryDequeue(out var pick)) spec["healthCheckNodePort"] = health = pick;
            if (health == 0) fresh++;
            else if (!held.Contains(health) && !taken.Contains(health)) requested.Add((health, "spec.healthCheckNodePort"));
        }
        if (requested.Count > 0 || fresh > 0) throw new Needed(service, requested, fresh);
    }

    /// <summary>Takes what <paramref name="needed"/> says into <paramref name="taken"/>: each requested port (Invalid when out
    /// of range or taken), then fresh ones (kube picks from the range above its lower band of min(max(16, size/32), 128)
    /// ports, kept for requests, before that band).</summary>
    public async Task TakeAsync(Needed needed, HashSet<int> taken, CancellationToken cancellationToken)
    {
        var service = needed.Service;
        foreach (var (port, field) in needed.Requested)
        {
            if (taken.Contains(port)) continue;
            if (!range.Contains(port)) throw Invalid(service, field, port,
                $"provided port is not in the valid range. The range of valid ports is {range.Text}");
            if (!await _keys.TryTakeAsync(Text(port), service, cancellationToken).ConfigureAwait(false)) throw Invalid(service, field, port,
                "provided port is already allocated");
            taken.Add(port);
        }
        var fresh = needed.Fresh;
        foreach (var index in KeyAllocator.Candidates(range.Size, Math.Min(Math.Max(16, range.Size / 32), 128), includeFirst: true))
        {
            if (fresh == 0) return;
            var candidate = range.Low + (int)index;
            if (taken.Contains(candidate) || !await _keys.TryTakeAsync(Text(candidate), service, cancellationToken).ConfigureAwait(false)) continue;
            taken.Add(candidate);
            fresh--;
        }
        if (fresh > 0) throw new ApiError(500, "InternalError", "Internal error occurred: failed to allocate a nodePort: range is full");
    }

    /// <summary><see cref="Assign"/> until it is satisfied, taking what it needs (a create: nothing else can change the
    /// service meanwhile).</summary>
    public async Task AssignAsync(JsonObject service, HashSet<int> taken, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                Assign(service, null, taken);
                return;
            }
            catch (Needed needed)
            {
                await TakeAsync(needed, taken, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>dryRun: requested ports are checked against the range; none is taken.</summary>
    public void Preview(JsonObject service)
    {
        var ports = Ports(service);
        for (var i = 0; i < ports.Count; i++)
        {
            if (Int(ports[i]["nodePort"]) is > 0 and var port && !range.Contains(port))
                throw Invalid(service, $"spec.ports[{i}].nodePort", port,
                    $"provided port is not in the valid range. The range of valid ports is {range.Text}");
        }
    }

    /// <summary>Releases <paramref name="ports"/>.</summary>
    public async Task ReleaseAsync(IEnumerable<int> ports, CancellationToken cancellationToken)
    {
        foreach (var port in ports) await _keys.ReleaseAsync(Text(port), cancellationToken).ConfigureAwait(false);
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static ApiError Invalid(JsonObject service, string field, int port, string why) =>
        ApiError.Invalid(Resources.ResourceCatalog.Find("", "v1", "services")!, ObjectDefaults.Str(service["metadata"]?["name"]) ?? "",
            [new FieldCause("FieldValueInvalid", $"Invalid value: {port}: {why}", field)]);
}
