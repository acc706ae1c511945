namespace KvStore.ApiServer.Tests.Security;

/// <summary>
/// Certificates made with the openssl command line in a temp directory, as an operator makes them: RSA 2048 CAs and
/// certificates they sign, for servers (serverAuth, IP and DNS names) and clients (clientAuth, CN = user, O = groups).
/// Removed on dispose.
/// </summary>
internal sealed class OpenSslPki : IDisposable
{
    public OpenSslPki() => Dir = Directory.CreateTempSubdirectory("apiserver-pki-").FullName;

    public string Dir { get; }

    /// <summary>A self-signed CA; returns its certificate path (the key is NAME.key beside it).</summary>
    public string Ca(string name, string commonName)
    {
        Run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", Path(name + ".key"), "-out", Path(name + ".crt"), "-days", "2",
            "-subj", "/CN=" + commonName);
        return Path(name + ".crt");
    }

    /// <summary>A certificate signed by CA <paramref name="ca"/> (a name given to <see cref="Ca"/>); returns (cert, key).</summary>
    public (string Cert, string Key) Issue(string ca, string name, string subject, string extensions)
    {
        Run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", Path(name + ".key"), "-out", Path(name + ".csr"), "-subj", subject);
        File.WriteAllText(Path(name + ".ext"), extensions.Replace(";", "\n", StringComparison.Ordinal) + "\n");
        Run("x509", "-req", "-in", Path(name + ".csr"), "-CA", Path(ca + ".crt"), "-CAkey", Path(ca + ".key"), "-CAcreateserial",
            "-out", Path(name + ".crt"), "-days", "2", "-extfile", Path(name + ".ext"));
        return (Path(name + ".crt"), Path(name + ".key"));
    }

    /// <summary>A client certificate: CN = user, one O per group.</summary>
    public (string Cert, string Key) Client(string ca, string user, params string[] groups) =>
        Issue(ca, user, "/CN=" + user + string.Concat(groups.Select(g => "/O=" + g)), "extendedKeyUsage=clientAuth");

    /// <summary>A server certificate for 127.0.0.1 and localhost (also good for clients, as etcd's member certificates).</summary>
    public (string Cert, string Key) Server(string ca, string name) =>
        Issue(ca, name, "/CN=" + name, "subjectAltName=IP:127.0.0.1,DNS:localhost;extendedKeyUsage=serverAuth,clientAuth");

    public string Path(string file) => System.IO.Path.Combine(Dir, file);

    private static void Run(params string[] args)
    {
        var (code, output, error) = ChildProcess.Run("openssl", args);
        Assert.True(code == 0, $"openssl {string.Join(' ', args)} failed ({code}):\n{error}\n{output}");
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
