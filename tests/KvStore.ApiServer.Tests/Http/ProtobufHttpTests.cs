using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using KvStore.ApiServer.Tests.CustomResources;
using KvStore.ApiServer.Wire;

namespace KvStore.ApiServer.Tests.Http;

/// <summary>
/// A client-go-style protobuf client over raw HTTP: what client-go's typed clients and informers send (protobuf bodies,
/// `Accept: application/vnd.kubernetes.protobuf, application/json`, metadata-only lists) and read (enveloped objects,
/// lists, Status errors, length-prefixed watch frames), plus kube's negotiation answers.
/// </summary>
public sealed class ProtobufHttpTests(MemberFixture member) : IClassFixture<MemberFixture>, IDisposable
{
    private const string Protobuf = "application/vnd.kubernetes.protobuf";
    private const string ClientGoAccept = "application/vnd.kubernetes.protobuf, application/json";
    private readonly HttpClient _http = new() { BaseAddress = new Uri(member.Url), Timeout = TimeSpan.FromSeconds(60) };

    public void Dispose() => _http.Dispose();

    private async Task<(HttpStatusCode Code, string ContentType, byte[] Body)> SendAsync(HttpMethod method, string path, byte[]? body = null,
        string contentType = Protobuf, string accept = ClientGoAccept)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "", await response.Content.ReadAsByteArrayAsync());
    }

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    private async Task NamespaceAsync(string name) =>
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "/api/v1/namespaces",
            Json($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{name}}}"}}"""), "application/json")).Code);

    private static byte[] Fixture(string name) =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Wire", "Fixtures", $"kubectl-create-{name}.pb"));

    [Fact]
    public async Task CreateGetListUpdateAndErrorsInProtobuf()
    {
        await NamespaceAsync("pb");
        var (code, type, body) = await SendAsync(HttpMethod.Post, "/apis/apps/v1/namespaces/pb/deployments", Fixture("apps-v1-deployments"));
        Assert.Equal((HttpStatusCode.Created, Protobuf), (code, type));
        Assert.Equal("k8s\0"u8.ToArray(), body[..4]);
        var created = KubeProtobuf.Decode(body);
        Assert.Equal(("Deployment", "apps/v1", 2, 600), ((string?)created["kind"], (string?)created["apiVersion"],
            (int)created["spec"]!["replicas"]!, (int)created["spec"]!["progressDeadlineSeconds"]!));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", (string?)created["metadata"]!["creationTimestamp"]);

        var (_, _, got) = await SendAsync(HttpMethod.Get, "/apis/apps/v1/namespaces/pb/deployments/nginx");
        var (_, jsonType, asJson) = await SendAsync(HttpMethod.Get, "/apis/apps/v1/namespaces/pb/deployments/nginx", accept: "application/json");
        Assert.Equal("application/json", jsonType);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(asJson), KubeProtobuf.Decode(got)), KubeProtobuf.Decode(got).ToJsonString());

        var (_, _, listed) = await SendAsync(HttpMethod.Get, "/apis/apps/v1/namespaces/pb/deployments");
        var list = KubeProtobuf.Decode(listed);
        Assert.Equal(("DeploymentList", "nginx"), ((string?)list["kind"], (string?)list["items"]![0]!["metadata"]!["name"]));
        Assert.False(string.IsNullOrEmpty((string?)list["metadata"]!["resourceVersion"]));

        var update = KubeProtobuf.Decode(got);
        update["spec"]!["replicas"] = 0;
        var (updatedCode, _, updated) = await SendAsync(HttpMethod.Put, "/apis/apps/v1/namespaces/pb/deployments/nginx", KubeProtobuf.Encode(update));
        Assert.Equal(HttpStatusCode.OK, updatedCode);
        Assert.Equal(0, (int)KubeProtobuf.Decode(updated)["spec"]!["replicas"]!);

        var (missing, _, status) = await SendAsync(HttpMethod.Get, "/apis/apps/v1/namespaces/pb/deployments/nope");
        var failure = KubeProtobuf.Decode(status);
        Assert.Equal((HttpStatusCode.NotFound, "Status", "NotFound", 404, "deployments.apps \"nope\" not found"),
            (missing, (string?)failure["kind"], (string?)failure["reason"], (int)failure["code"]!, (string?)failure["message"]));

        var (bad, _, invalid) = await SendAsync(HttpMethod.Post, "/apis/apps/v1/namespaces/pb/deployments", [.. "k8s\0"u8, 0x0a, 0x05]);
        Assert.Equal((HttpStatusCode.BadRequest, "BadRequest"), (bad, (string?)KubeProtobuf.Decode(invalid)["reason"]));
    }

    [Fact]
    public async Task DeleteOptionsInProtobufCarryPreconditions()
    {
        await NamespaceAsync("pb-delete");
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/pb-delete/configmaps", Fixture("v1-configmaps"));
        var options = new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "DeleteOptions",
            ["preconditions"] = new JsonObject { ["uid"] = "not-the-uid" }, ["propagationPolicy"] = "Background",
        };
        var (code, _, body) = await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/pb-delete/configmaps/cm1", KubeProtobuf.Encode(options));
        Assert.Equal((HttpStatusCode.Conflict, "Conflict"), (code, (string?)KubeProtobuf.Decode(body)["reason"]));
        options.Remove("preconditions");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/pb-delete/configmaps/cm1", KubeProtobuf.Encode(options))).Code);
    }

    /// <summary>client-go's watch decoder: a 4-byte big-endian length, a bare WatchEvent{type 1, object 2 RawExtension{raw 1}}.</summary>
    private static async Task<(string Type, JsonObject Object)> ReadFrameAsync(Stream stream)
    {
        var length = new byte[4];
        await stream.ReadExactlyAsync(length);
        var frame = new byte[BinaryPrimitives.ReadUInt32BigEndian(length)];
        await stream.ReadExactlyAsync(frame);
        var input = new CodedInputStream(frame);
        string type = "";
        byte[] raw = [];
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1) type = input.ReadString();
            else if (WireFormat.GetTagFieldNumber(tag) == 2)
            {
                var extension = new CodedInputStream(input.ReadBytes().ToByteArray());
                for (uint t; (t = extension.ReadTag()) != 0;)
                {
                    if (WireFormat.GetTagFieldNumber(t) == 1) raw = extension.ReadBytes().ToByteArray();
                    else extension.SkipLastField();
                }
            }
            else input.SkipLastField();
        }
        return (type, KubeProtobuf.Decode(raw));
    }

    [Fact]
    public async Task WatchFramesAreLengthPrefixedWatchEvents()
    {
        await NamespaceAsync("pb-watch");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/pb-watch/configmaps?watch=true&resourceVersion=0&timeoutSeconds=30");
        request.Headers.TryAddWithoutValidation("Accept", ClientGoAccept);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var contentType = response.Content.Headers.ContentType!;
        Assert.Equal((Protobuf, "stream=watch"), (contentType.MediaType, string.Join(";", contentType.Parameters)));
        using var stream = await response.Content.ReadAsStreamAsync();
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/pb-watch/configmaps", Fixture("v1-configmaps"));
        var (type, added) = await ReadFrameAsync(stream);
        Assert.Equal(("ADDED", "ConfigMap", "cm1", "b"), (type, (string?)added["kind"], (string?)added["metadata"]!["name"], (string?)added["data"]!["a"]));
        await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/pb-watch/configmaps/cm1");
        Assert.Equal("DELETED", (await ReadFrameAsync(stream)).Type);
    }

    [Fact]
    public async Task PartialObjectMetadataInJsonAndProtobufAndTableOnlyInJson()
    {
        await NamespaceAsync("pb-meta");
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/pb-meta/configmaps", Fixture("v1-configmaps"));

        var (_, type, body) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/pb-meta/configmaps",
            accept: "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json");
        var list = KubeProtobuf.Decode(body);
        Assert.StartsWith(Protobuf, type);
        Assert.Equal(("PartialObjectMetadataList", "meta.k8s.io/v1", "cm1"),
            ((string?)list["kind"], (string?)list["apiVersion"], (string?)list["items"]![0]!["metadata"]!["name"]));
        Assert.Null(list["items"]![0]!["data"]);

        var (_, _, single) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/pb-meta/configmaps/cm1",
            accept: "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1");
        var partial = JsonNode.Parse(single)!;
        Assert.Equal(("PartialObjectMetadata", "meta.k8s.io/v1beta1", "cm1"),
            ((string?)partial["kind"], (string?)partial["apiVersion"], (string?)partial["metadata"]!["name"]));
        Assert.Null(partial["data"]);

        var (notList, _, status) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/pb-meta/configmaps/cm1",
            accept: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1");
        Assert.Equal((HttpStatusCode.NotAcceptable, "NotAcceptable"), (notList, (string?)JsonNode.Parse(status)!["reason"]));

        var (refused, _, notAcceptable) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/pb-meta/configmaps",
            accept: "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal((HttpStatusCode.NotAcceptable, "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf"),
            (refused, (string?)JsonNode.Parse(notAcceptable)!["message"]));
        var (_, fallbackType, fallback) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/pb-meta/configmaps",
            accept: "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io, application/json");
        Assert.Equal(("application/json", "ConfigMapList"), (fallbackType, (string?)JsonNode.Parse(fallback)!["kind"]));
        var (_, _, beta) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/pb-meta/configmaps", accept: "application/json;as=Table;v=v1beta1;g=meta.k8s.io");
        Assert.Equal(("Table", "meta.k8s.io/v1beta1"), ((string?)JsonNode.Parse(beta)!["kind"], (string?)JsonNode.Parse(beta)!["apiVersion"]));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/pb-meta/configmaps?watch=true&resourceVersion=0&timeoutSeconds=30");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1");
        using var watch = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await watch.Content.ReadAsStreamAsync());
        var added = JsonNode.Parse((await reader.ReadLineAsync())!)!;
        Assert.Equal(("ADDED", "PartialObjectMetadata", "cm1"), ((string?)added["type"], (string?)added["object"]!["kind"], (string?)added["object"]!["metadata"]!["name"]));
    }

    /// <summary>kube's envelope around a message protoc made: "k8s\0", runtime.Unknown{typeMeta 1 {apiVersion, kind}, raw 2}.</summary>
    private static byte[] Envelope(string apiVersion, string kind, byte[] raw)
    {
        using var typeMeta = new MemoryStream();
        var meta = new CodedOutputStream(typeMeta);
        meta.WriteTag(1, WireFormat.WireType.LengthDelimited);
        meta.WriteString(apiVersion);
        meta.WriteTag(2, WireFormat.WireType.LengthDelimited);
        meta.WriteString(kind);
        meta.Flush();
        using var buffer = new MemoryStream();
        buffer.Write("k8s\0"u8);
        var output = new CodedOutputStream(buffer);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(typeMeta.ToArray()));
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(raw));
        output.Flush();
        return buffer.ToArray();
    }

    [Fact]
    public async Task CustomResourceDefinitionsTravelInProtobufAndTerminateInWatchFrames()
    {
        const string crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
        var raw = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Wire", "Fixtures", "protoc-crontab-crd.bin"));
        var (code, type, body) = await SendAsync(HttpMethod.Post, crds, Envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", raw));
        Assert.Equal((HttpStatusCode.Created, Protobuf), (code, type));
        var created = KubeProtobuf.Decode(body);
        var replicas = created["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!["properties"]!["replicas"]!;
        Assert.Equal(("CustomResourceDefinition", "None", "CronTabList", 1, 10.0), ((string?)created["kind"], (string?)created["spec"]!["conversion"]!["strategy"],
            (string?)created["spec"]!["names"]!["listKind"], (int)replicas["default"]!, (double)replicas["maximum"]!));

        var path = $"{crds}?fieldSelector=metadata.name%3Dcrontabs.proto.example.com";
        JsonObject list;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do list = KubeProtobuf.Decode((await SendAsync(HttpMethod.Get, path)).Body);
        while (list["items"]![0]!["status"]!["conditions"] is not JsonArray { Count: 2 } && DateTime.UtcNow < deadline);
        var status = list["items"]![0]!["status"]!;
        Assert.Equal(("CustomResourceDefinitionList", "Established", "True", "CronTab"), ((string?)list["kind"], (string?)status["conditions"]![1]!["type"],
            (string?)status["conditions"]![1]!["status"], (string?)status["acceptedNames"]!["kind"]));
        var (_, jsonType, asJson) = await SendAsync(HttpMethod.Get, $"{crds}/crontabs.proto.example.com", accept: "application/json");
        var (_, _, asProtobuf) = await SendAsync(HttpMethod.Get, $"{crds}/crontabs.proto.example.com");
        Assert.Equal("application/json", jsonType);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(asJson), KubeProtobuf.Decode(asProtobuf)), KubeProtobuf.Decode(asProtobuf).ToJsonString());

        using var request = new HttpRequestMessage(HttpMethod.Get, $"{path}&watch=true&resourceVersion={list["metadata"]!["resourceVersion"]}&timeoutSeconds=30");
        request.Headers.TryAddWithoutValidation("Accept", ClientGoAccept);
        using var watch = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var stream = await watch.Content.ReadAsStreamAsync();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Delete, $"{crds}/crontabs.proto.example.com")).Code);
        var events = new List<(string Type, JsonObject Object)>();
        do events.Add(await ReadFrameAsync(stream));
        while (events[^1].Type != "DELETED");
        static string? Terminating(JsonObject crd) =>
            (string?)crd["status"]!["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "Terminating")!["reason"];
        Assert.Equal(("MODIFIED", "customresourcecleanup.apiextensions.k8s.io", "InstanceDeletionPending"),
            (events[0].Type, (string?)events[0].Object["metadata"]!["finalizers"]![0], Terminating(events[0].Object)));
        // the DELETED event carries the last stored state: the finalizer's removal deleted the CRD instead of storing it
        Assert.Equal("InstanceDeletionInProgress", Terminating(events[^1].Object));
    }

    [Fact]
    public async Task CustomResourcesAnswerJsonToProtobufClientsAndMetadataInBoth()
    {
        await NamespaceAsync("pb-cr");
        var crd = await SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            Json(CrdManifests.CronTab("pb.example.com", "pbct")), "application/yaml");
        Assert.Equal(HttpStatusCode.Created, crd.Code);
        const string path = "/apis/pb.example.com/v1/namespaces/pb-cr/crontabs";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await SendAsync(HttpMethod.Get, path)).Code != HttpStatusCode.OK && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, path,
            Json(CrdManifests.CronTabObject("pb.example.com", "c1", "pb-cr", "{cronSpec: '* * * * */5', image: nginx}")), "application/yaml")).Code);

        var (_, type, list) = await SendAsync(HttpMethod.Get, path);
        Assert.Equal(("application/json", "CronTabList"), (type, (string?)JsonNode.Parse(list)!["kind"]));
        var (_, metaType, metadata) = await SendAsync(HttpMethod.Get, path,
            accept: "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json");
        Assert.StartsWith(Protobuf, metaType);
        var partial = KubeProtobuf.Decode(metadata);
        Assert.Equal(("PartialObjectMetadataList", "c1", "c1"), ((string?)partial["kind"], (string?)partial["items"]![0]!["metadata"]!["name"],
            (string?)partial["items"]![0]!["metadata"]!["labels"]!["team"]));
    }
}
