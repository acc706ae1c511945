using System.Diagnostics;
using System.Security.Cryptography;

namespace KvStore.Etcdctl.Tests;

/// <summary>
/// Keys for etcd's JWT token provider, made by openssl as an operator would (RSA 2048, EC P-256/P-384/P-521,
/// a random HMAC secret), in a temp folder deleted on dispose. <see cref="AuthToken"/> builds --auth-token.
/// </summary>
public sealed class JwtKeys : IDisposable
{
    public JwtKeys()
    {
        Dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kvstore-jwt-keys", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
        OpenSsl("genrsa", "-out", Path("rsa.key"), "2048");
        OpenSsl("rsa", "-in", Path("rsa.key"), "-pubout", "-out", Path("rsa.pub"));
        OpenSsl("genrsa", "-out", Path("rsa2.key"), "2048");
        foreach (var (name, curve) in new[] { ("ec256", "prime256v1"), ("ec384", "secp384r1"), ("ec521", "secp521r1") })
        {
            OpenSsl("ecparam", "-name", curve, "-genkey", "-noout", "-out", Path(name + ".key"));
            OpenSsl("ec", "-in", Path(name + ".key"), "-pubout", "-out", Path(name + ".pub"));
        }
        File.WriteAllBytes(Path("hmac.key"), RandomNumberGenerator.GetBytes(32));
    }

    public string Dir { get; }

    public string Path(string file) => System.IO.Path.Combine(Dir, file);

    /// <summary>The key pair name (rsa, ec256, ec384, ec521, hmac) a sign method uses.</summary>
    public static string KeyFor(string method) => method switch
    {
        "ES256" => "ec256",
        "ES384" => "ec384",
        "ES512" => "ec521",
        _ when method.StartsWith("HS", StringComparison.Ordinal) => "hmac",
        _ => "rsa",
    };

    /// <summary>--auth-token=jwt,... with the pair's files (public only, private only, or both).</summary>
    public string AuthToken(string method, bool pub = true, bool priv = true, string? ttl = null, string? key = null)
    {
        key ??= KeyFor(method);
        var parts = new List<string> { "jwt" };
        if (pub && key != "hmac") parts.Add("pub-key=" + Path(key + ".pub"));
        if (priv) parts.Add("priv-key=" + Path(key + ".key"));
        parts.Add("sign-method=" + method);
        if (ttl is not null) parts.Add("ttl=" + ttl);
        return "--auth-token=" + string.Join(',', parts);
    }

    private static void OpenSsl(params string[] args)
    {
        var psi = new ProcessStartInfo("openssl") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"openssl {string.Join(' ', args)}: {err.Result}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
