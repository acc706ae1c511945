using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvStore.Server.Transport;

/// <summary>
/// PEM certificate, key and CA files as etcd's tlsutil reads them, kept until a file changes (its write time or
/// size): a certificate rotated on disk is used from the next handshake on, as etcd reloads it on every handshake.
/// Failures carry Go's messages ("open x: no such file or directory", "tls: private key does not match public key").
/// </summary>
internal sealed class CertificateFiles
{
    private readonly Lock _gate = new();
    private (string Cert, string Key, FileStamp CertStamp, FileStamp KeyStamp, SslStreamCertificateContext Context)? _certificate;
    private (string Path, FileStamp Stamp, X509Certificate2Collection Certificates)? _authorities;

    /// <summary>
    /// The certificate chain of <paramref name="certFile"/> (leaf first, as Go sends it) with the key of <paramref name="keyFile"/>.
    /// </summary>
    public SslStreamCertificateContext Certificate(string certFile, string keyFile)
    {
        FileStamp certStamp = FileStamp.Of(certFile), keyStamp = FileStamp.Of(keyFile);
        lock (_gate)
        {
            if (_certificate is { } c && c.Cert == certFile && c.Key == keyFile && c.CertStamp == certStamp && c.KeyStamp == keyStamp)
            {
                return c.Context;
            }
        }
        string certPem = ReadText(certFile), keyPem = ReadText(keyFile);
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(certPem);
        }
        catch (CryptographicException)
        {
            throw new TlsConfigException("x509: malformed certificate");
        }
        if (chain.Count == 0) throw new TlsConfigException("tls: failed to find any PEM data in certificate input");
        if (!keyPem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new TlsConfigException("tls: failed to find any PEM data in key input");
        }
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(certPem, keyPem);
        }
        catch (CryptographicException)
        {
            throw new TlsConfigException("tls: private key does not match public key");
        }
        var context = SslStreamCertificateContext.Create(leaf, new X509Certificate2Collection(chain.Skip(1).ToArray()), offline: true);
        lock (_gate) _certificate = (certFile, keyFile, certStamp, keyStamp, context);
        return context;
    }

    /// <summary>Every certificate in a CA bundle (etcd's tlsutil.NewCertPool).</summary>
    public X509Certificate2Collection Authorities(string path)
    {
        FileStamp stamp = FileStamp.Of(path);
        lock (_gate)
        {
            if (_authorities is { } a && a.Path == path && a.Stamp == stamp) return a.Certificates;
        }
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(ReadText(path));
        }
        catch (CryptographicException e)
        {
            throw new TlsConfigException($"x509: malformed certificate in {path}: {e.Message}");
        }
        lock (_gate) _authorities = (path, stamp, certificates);
        return certificates;
    }

    /// <summary>A file's text, or Go's os error for it.</summary>
    internal static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new TlsConfigException($"open {path}: no such file or directory");
        }
        catch (UnauthorizedAccessException)
        {
            throw new TlsConfigException($"open {path}: permission denied");
        }
        catch (IOException e)
        {
            throw new TlsConfigException($"read {path}: {e.Message}");
        }
    }

    private readonly record struct FileStamp(DateTime Written, long Length)
    {
        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.LastWriteTimeUtc, info.Length) : default;
        }
    }
}
