using System.Text;
using System.Text.Json.Nodes;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>Hostile bodies for the JSON gateway (grpc-gateway v1 in etcd 3.4): what is not JSON, not the message, or too big.</summary>
internal static class GatewayCases
{
    public static IEnumerable<HostileCase> All =>
    [
        Post("gateway: body that is not JSON", "/v3/kv/range", "{",
            "HTTP 400 {\"error\":\"unexpected EOF\",\"message\":\"unexpected EOF\",\"code\":3}"),
        Post("gateway: key of the wrong JSON type", "/v3/kv/range", "{\"key\":5}",
            "HTTP 400 {\"error\":\"json: cannot unmarshal number into Go value of type []uint8\",\"message\":\"json: cannot unmarshal number into Go value of type []uint8\",\"code\":3}"),
        Post("gateway: key that is not base64", "/v3/kv/put", "{\"key\":\"!!\",\"value\":\"dg==\"}",
            "HTTP 400 {\"error\":\"illegal base64 data at input byte 0\",\"message\":\"illegal base64 data at input byte 0\",\"code\":3}"),
        Post("gateway: unknown field", "/v3/kv/range", "{\"key\":\"YQ==\",\"nope\":1}",
            "HTTP 200 {\"header\":{},\"kvs\":[{\"key\":\"YQ==\",\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"YS12YWx1ZQ==\"}],\"count\":\"1\"}"),
        Post("gateway: empty key", "/v3/kv/put", "{\"value\":\"dg==\"}",
            "HTTP 400 {\"error\":\"etcdserver: key is not provided\",\"message\":\"etcdserver: key is not provided\",\"code\":3}"),
        Post("gateway: sort order by an unknown name", "/v3/kv/range", "{\"key\":\"YQ==\",\"sort_order\":\"SIDEWAYS\"}",
            "HTTP 400 {\"error\":\"unknown value \\\"SIDEWAYS\\\" for enum etcdserverpb.RangeRequest_SortOrder\",\"message\":\"unknown value \\\"SIDEWAYS\\\" for enum etcdserverpb.RangeRequest_SortOrder\",\"code\":3}"),
        Post("gateway: limit that is no number", "/v3/kv/range", "{\"key\":\"YQ==\",\"limit\":\"ten\"}",
            "HTTP 400 {\"error\":\"invalid character 'e' in literal true (expecting 'r')\",\"message\":\"invalid character 'e' in literal true (expecting 'r')\",\"code\":3}"),
        Post("gateway: two JSON values in one body", "/v3/kv/range", "{\"key\":\"YQ==\"}{\"key\":\"Yg==\"}",
            "HTTP 200 {\"header\":{},\"kvs\":[{\"key\":\"YQ==\",\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"YS12YWx1ZQ==\"}],\"count\":\"1\"}"),
        Post("gateway: put over gRPC's limit", "/v3/kv/put",
            $"{{\"key\":\"MGh1Z2U=\",\"value\":\"{Convert.ToBase64String(new byte[600 * 1024])}\"}}",
            "HTTP 429 {\"error\":\"grpc: received message larger than max (614411 vs. 534528)\",\"message\":\"grpc: received message larger than max (614411 vs. 534528)\",\"code\":8}"),
        Post("gateway: nesting 10000 arrays deep", "/v3/kv/range", new string('[', 10000) + new string(']', 10000),
            "HTTP 400 {\"error\":\"json: cannot unmarshal array into Go value of type map[string]json.RawMessage\",\"message\":\"json: cannot unmarshal array into Go value of type map[string]json.RawMessage\",\"code\":3}"),
        new("gateway: GET of a POST-only path", "HTTP 405 Method Not Allowed", s => SendAsync(s, HttpMethod.Get, "/v3/kv/range", null)),
    ];

    private static HostileCase Post(string name, string path, string body, string expected) => new(name, expected, s => SendAsync(s, HttpMethod.Post, path, body));

    /// <summary>"HTTP status body" with the response header's ids left out (they differ between any two clusters).</summary>
    public static async Task<string> SendAsync(HostileSide s, HttpMethod method, string path, string? body)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(method, s.ClientUrl + path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.SendAsync(request);
        string text = (await response.Content.ReadAsStringAsync()).Trim();
        return $"HTTP {(int)response.StatusCode} {WithoutIds(text)}";
    }

    public static string WithoutIds(string text)
    {
        try
        {
            if (JsonNode.Parse(text) is JsonObject o && o["header"] is JsonObject h)
            {
                h.Remove("cluster_id");
                h.Remove("member_id");
                h.Remove("raft_term");
                h.Remove("revision"); // the cases before this one wrote alike, but not in the same order on both
                return o.ToJsonString();
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return text;
    }
}
