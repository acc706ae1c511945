using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static KvStore.Grpc.Tests.GatewayClient;

namespace KvStore.Grpc.Tests;

/// <summary>
/// The /v3/auth/* routes of the JSON gateway against etcd 3.4's gateway, answers compared (ids and tokens aside),
/// with the token sent as etcd's gateway reads it: the Authorization header. Its own pair: auth changes every call.
/// </summary>
public sealed partial class GatewayAuthTests(GatewayPair pair) : IClassFixture<GatewayPair>
{
    [GeneratedRegex("\"token\":\"[A-Za-z]{16}\\.[0-9]+\"")]
    private static partial Regex Token();

    private static async Task<GatewayAnswer> PostAsync(string baseUrl, string path, string body, string? token)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", token);
        using HttpResponseMessage response = await http.SendAsync(request);
        return new GatewayAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), await response.Content.ReadAsStringAsync(), response.Headers);
    }

    private string? _etcdToken, _kvToken;

    /// <summary>Same status and body on both (ids, and the token's random part, aside); returns kvstore's body.</summary>
    private async Task<string> SameAsync(string path, string body, bool withToken = false)
    {
        GatewayAnswer etcd = await PostAsync(pair.Etcd.ClientUrl, path, body, withToken ? _etcdToken : null);
        GatewayAnswer kv = await PostAsync(pair.Kv.Address, path, body, withToken ? _kvToken : null);
        Assert.Equal((etcd.Status, Token().Replace(WithoutIds(etcd.Body), "\"token\":T")), (kv.Status, Token().Replace(WithoutIds(kv.Body), "\"token\":T")));
        return kv.Body;
    }

    private async Task LoginAsync(string name, string password)
    {
        string body = $"{{\"name\":\"{name}\",\"password\":\"{password}\"}}";
        _etcdToken = JsonNode.Parse((await PostAsync(pair.Etcd.ClientUrl, "/v3/auth/authenticate", body, null)).Body)!["token"]!.GetValue<string>();
        _kvToken = JsonNode.Parse((await PostAsync(pair.Kv.Address, "/v3/auth/authenticate", body, null)).Body)!["token"]!.GetValue<string>();
    }

    [Fact]
    public async Task AuthRoutesAnswerAsEtcdsGateway()
    {
        await SameAsync("/v3/auth/enable", "{}");
        await SameAsync("/v3/auth/user/add", "{\"name\":\"root\",\"password\":\"rootpw\"}");
        await SameAsync("/v3/auth/user/add", "{\"name\":\"root\",\"password\":\"rootpw\"}");
        await SameAsync("/v3/auth/role/add", "{\"name\":\"root\"}");
        await SameAsync("/v3/auth/user/grant", "{\"user\":\"root\",\"role\":\"root\"}");
        await SameAsync("/v3/auth/role/add", "{\"name\":\"app\"}");
        await SameAsync("/v3/auth/role/grant",
            $"{{\"name\":\"app\",\"perm\":{{\"permType\":\"READWRITE\",\"key\":\"{B64("/app/")}\",\"range_end\":\"{B64("/app0")}\"}}}}");
        await SameAsync("/v3/auth/role/grant", $"{{\"name\":\"app\",\"perm\":{{\"permType\":\"READ\",\"key\":\"{B64("/ro")}\"}}}}");
        await SameAsync("/v3/auth/user/add", "{\"name\":\"svc\",\"password\":\"svcpw\"}");
        await SameAsync("/v3/auth/user/grant", "{\"user\":\"svc\",\"role\":\"app\"}");
        await SameAsync("/v3/auth/user/get", "{\"name\":\"svc\"}");
        await SameAsync("/v3/auth/user/get", "{\"name\":\"nobody\"}");
        await SameAsync("/v3/auth/role/get", "{\"role\":\"app\"}");
        await SameAsync("/v3/auth/user/list", "{}");
        await SameAsync("/v3/auth/role/list", "{}");
        await SameAsync("/v3/auth/role/revoke", $"{{\"role\":\"app\",\"key\":\"{B64("/ro")}\"}}");
        await SameAsync("/v3/auth/role/revoke", $"{{\"role\":\"app\",\"key\":\"{B64("/ro")}\"}}");
        await SameAsync("/v3/auth/authenticate", "{\"name\":\"svc\",\"password\":\"svcpw\"}");
        await SameAsync("/v3/auth/enable", "{}");

        await SameAsync("/v3/auth/authenticate", "{\"name\":\"svc\",\"password\":\"wrong\"}");
        await SameAsync("/v3/kv/put", $"{{\"key\":\"{B64("/app/a")}\",\"value\":\"{B64("1")}\"}}");
        await LoginAsync("svc", "svcpw");
        Assert.Contains("\"token\":", await SameAsync("/v3/auth/authenticate", "{\"name\":\"svc\",\"password\":\"svcpw\"}"));
        await SameAsync("/v3/kv/put", $"{{\"key\":\"{B64("/app/a")}\",\"value\":\"{B64("1")}\"}}", withToken: true);
        await SameAsync("/v3/kv/range", $"{{\"key\":\"{B64("/app/a")}\"}}", withToken: true);
        await SameAsync("/v3/kv/put", $"{{\"key\":\"{B64("/other")}\",\"value\":\"{B64("1")}\"}}", withToken: true);
        await SameAsync("/v3/auth/user/list", "{}", withToken: true);
        await SameAsync("/v3/auth/disable", "{}", withToken: true);

        await LoginAsync("root", "rootpw");
        await SameAsync("/v3/auth/user/delete", "{\"name\":\"root\"}", withToken: true);
        await SameAsync("/v3/auth/user/revoke", "{\"name\":\"svc\",\"role\":\"app\"}", withToken: true);
        await SameAsync("/v3/auth/user/changepw", "{\"name\":\"svc\",\"password\":\"new\"}", withToken: true);
        await SameAsync("/v3/auth/disable", "{}", withToken: true);
        await SameAsync("/v3/kv/range", $"{{\"key\":\"{B64("/app/a")}\"}}");
        await SameAsync("/v3/auth/role/delete", "{\"role\":\"app\"}");
        await SameAsync("/v3/auth/user/delete", "{\"name\":\"svc\"}");
        await SameAsync("/v3/auth/user/list", "{}");
    }
}
