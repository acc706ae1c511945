using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Authpb;
using Etcdserverpb;
using Google.Protobuf;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>
/// Auth enabled with JWT tokens (RS256, keys made by openssl): root (password rootpw) and alice (alicepw), whose role
/// "app" may read and write [/app/, /app0) only. Both servers get the same key, so a token signed here is
/// accepted or refused by both alike.
/// </summary>
public sealed class AuthPair : HostilePair
{
    private readonly string _keys = Path.Combine(Path.GetTempPath(), "kvstore-hostile-jwt", Guid.NewGuid().ToString("N"));

    public AuthPair()
    {
        Directory.CreateDirectory(_keys);
        OpenSsl("genrsa", "-out", KeyFile("member.key"), "2048");
        OpenSsl("rsa", "-in", KeyFile("member.key"), "-pubout", "-out", KeyFile("member.pub"));
        OpenSsl("genrsa", "-out", KeyFile("stranger.key"), "2048");
    }

    protected override string[] Flags =>
    [
        $"--auth-token=jwt,pub-key={KeyFile("member.pub")},priv-key={KeyFile("member.key")},sign-method=RS256,ttl=10m",
        "--bcrypt-cost", "4",
    ];

    public string KeyFile(string name) => Path.Combine(_keys, name);

    private protected override async Task SetUpAsync(HostileSide side)
    {
        var auth = new Auth.AuthClient(side.Channel);
        var o = side.Admin;
        await auth.UserAddAsync(new AuthUserAddRequest { Name = "root", Password = "rootpw" }, o);
        await auth.RoleAddAsync(new AuthRoleAddRequest { Name = "root" }, o);
        await auth.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "root" }, o);
        await auth.UserAddAsync(new AuthUserAddRequest { Name = "alice", Password = "alicepw" }, o);
        await auth.RoleAddAsync(new AuthRoleAddRequest { Name = "app" }, o);
        await auth.RoleGrantPermissionAsync(new AuthRoleGrantPermissionRequest
        {
            Name = "app",
            Perm = new Permission { PermType = Permission.Types.Type.Readwrite, Key = ByteString.CopyFromUtf8("/app/"), RangeEnd = ByteString.CopyFromUtf8("/app0") },
        }, o);
        await auth.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "alice", Role = "app" }, o);
        await auth.AuthEnableAsync(new AuthEnableRequest(), o);
        await side.SignInAdminAsync("root", "rootpw");
        await side.Kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/app/x"), Value = ByteString.CopyFromUtf8("1") }, side.Admin);
    }

    /// <summary>
    /// A token as etcd's JWT provider signs it (RS256; claims username, revision, exp) with <paramref name="keyFile"/>'s
    /// private key, expiring at <paramref name="expires"/>.
    /// </summary>
    public string SignToken(string keyFile, string user, long revision, DateTimeOffset expires)
    {
        static string Base64Url(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        string header = Base64Url(Encoding.UTF8.GetBytes("{\"alg\":\"RS256\",\"typ\":\"JWT\"}"));
        string claims = Base64Url(Encoding.UTF8.GetBytes(
            $"{{\"exp\":{expires.ToUnixTimeSeconds()},\"revision\":{revision},\"username\":\"{user}\"}}"));
        using var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(KeyFile(keyFile)));
        byte[] signature = rsa.SignData(Encoding.ASCII.GetBytes(header + "." + claims), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{claims}.{Base64Url(signature)}";
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        try { Directory.Delete(_keys, recursive: true); } catch (IOException) { }
    }

    private static void OpenSsl(params string[] args)
    {
        var (code, _, err) = ChildProcess.Run("openssl", args);
        if (code != 0) throw new InvalidOperationException($"openssl {string.Join(' ', args)}: {err}");
    }
}
