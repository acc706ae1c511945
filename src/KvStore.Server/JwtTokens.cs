using System.Buffers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using KvStore.Mvcc;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace KvStore.Server;

/// <summary>
/// etcd 3.4's JWT token provider (auth/jwt.go, auth/options.go): "--auth-token jwt,pub-key=P,priv-key=K,
/// sign-method=M,ttl=D". A token is a JWS with the claims username, revision (the auth revision it was minted
/// at) and exp (now + ttl, Unix seconds); nothing is kept per token, so every member holding the key accepts a
/// token minted by any other, until it expires (there is no renewal on use, as with simple tokens). With only a
/// public key the member verifies tokens and refuses to mint ("auth: token signing attempted with verify-only
/// key"). Keys are PEM files read as golang-jwt reads them (first PEM block; RSA: PKCS#1 or PKCS#8 private,
/// PKIX or certificate public; EC: SEC 1 or PKCS#8 private, PKIX or certificate public; HMAC: the raw bytes of
/// priv-key). Signing and signature checks are Microsoft.IdentityModel.JsonWebTokens'; the time claims are
/// checked as golang-jwt's MapClaims.Valid does (whole seconds, no clock skew).
/// </summary>
internal sealed class JwtTokens : ITokenProvider
{
    /// <summary>etcd's DefaultTTL.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromMinutes(5);

    private static readonly string[] KnownOptions = ["sign-method", "pub-key", "priv-key", "ttl"];
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly string _alg;
    private readonly SigningCredentials? _signing;
    private readonly TokenValidationParameters _validation;
    private readonly TimeSpan _ttl;
    private readonly byte[]? _hmacSecret;

    private JwtTokens(string alg, SecurityKey verifyKey, SecurityKey? signKey, TimeSpan ttl, byte[]? hmacSecret = null)
    {
        _alg = alg;
        _hmacSecret = hmacSecret;
        _ttl = ttl;
        _signing = signKey is null ? null : new SigningCredentials(signKey, alg);
        _validation = new TokenValidationParameters
        {
            IssuerSigningKey = verifyKey,
            ValidAlgorithms = [alg],
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = false,
            ValidateIssuer = false,
            ValidateAudience = false,
            // golang-jwt's rules for exp/nbf/iat differ from IdentityModel's (skew, required exp): checked below.
            ValidateLifetime = false,
            RequireExpirationTime = false,
            RequireAudience = false,
            TryAllIssuerSigningKeys = true,
        };
    }

    /// <summary>A member that can only verify (a public key and no private key).</summary>
    public bool VerifyOnly => _signing is null;

    /// <summary>etcd's newTokenProviderJWT: options, then the key; errors as etcd's.</summary>
    public static JwtTokens Create(AuthTokenOptions options, out IReadOnlyList<string> unknownOptions)
    {
        IReadOnlyDictionary<string, string> map = options.Options;
        byte[] publicKey = ReadKeyFile(map, "pub-key");
        byte[] privateKey = ReadKeyFile(map, "priv-key");
        string method = map.GetValueOrDefault("sign-method", "");
        if (KeyKindOf(method) is not { } kind)
        {
            throw new AuthTokenException(AuthTokenException.InvalidAuthOpts, "problem loading JWT options: auth: invalid auth signature method");
        }
        unknownOptions = [.. map.Keys.Where(k => !KnownOptions.Contains(k)).Order(StringComparer.Ordinal)];
        return kind switch
        {
            KeyKind.Rsa => RsaProvider(method, publicKey, privateKey, options.JwtTtl),
            KeyKind.Ec => EcProvider(method, publicKey, privateKey, options.JwtTtl),
            KeyKind.Hmac => privateKey.Length == 0
                ? throw new AuthTokenException("auth: missing key data")
                : new JwtTokens(method, new SymmetricSecurityKey(privateKey), new SymmetricSecurityKey(privateKey), options.JwtTtl, privateKey),
            // golang-jwt knows these names; etcd's jwtOptions.Key has no key type for them.
            _ => throw new AuthTokenException(method == "EdDSA"
                ? "unsupported signing method: *jwt.SigningMethodEd25519"
                : "unsupported signing method: *jwt.signingMethodNone"),
        };
    }

    private enum KeyKind
    {
        Rsa,
        Ec,
        Hmac,
        Unsupported,
    }

    /// <summary>golang-jwt's GetSigningMethod names (case-sensitive), by the key type etcd's jwtOptions.Key wants.</summary>
    private static KeyKind? KeyKindOf(string method) => method switch
    {
        "RS256" or "RS384" or "RS512" or "PS256" or "PS384" or "PS512" => KeyKind.Rsa,
        "ES256" or "ES384" or "ES512" => KeyKind.Ec,
        "HS256" or "HS384" or "HS512" => KeyKind.Hmac,
        "EdDSA" or "none" => KeyKind.Unsupported,
        _ => null,
    };

    private static byte[] ReadKeyFile(IReadOnlyDictionary<string, string> map, string option)
    {
        if (!map.TryGetValue(option, out string? file) || file.Length == 0) return [];
        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string why = e is FileNotFoundException or DirectoryNotFoundException ? "no such file or directory"
                : e is UnauthorizedAccessException ? "permission denied" : e.Message;
            throw new AuthTokenException(AuthTokenException.InvalidAuthOpts, $"problem loading JWT options: open {file}: {why}");
        }
    }

    private static JwtTokens RsaProvider(string method, byte[] publicPem, byte[] privatePem, TimeSpan ttl)
    {
        RSA? priv = privatePem.Length > 0 ? ParseRsaPrivate(privatePem) : null;
        RSA? pub = publicPem.Length > 0 ? ParseRsaPublic(publicPem) : null;
        if (priv is null)
        {
            if (pub is null) throw new AuthTokenException("auth: missing key data");
            return new JwtTokens(method, new RsaSecurityKey(pub), null, ttl); // public key only: verify-only
        }
        if (pub is not null)
        {
            // etcd's check, as written there: a mismatch only when both the exponent and the modulus differ.
            RSAParameters a = pub.ExportParameters(false), b = priv.ExportParameters(false);
            if (!a.Exponent.AsSpan().SequenceEqual(b.Exponent) && !a.Modulus.AsSpan().SequenceEqual(b.Modulus))
            {
                throw new AuthTokenException("auth: public and private keys don't match");
            }
        }
        var key = new RsaSecurityKey(priv);
        return new JwtTokens(method, key, key, ttl); // etcd verifies with the private key's public half
    }

    private static JwtTokens EcProvider(string method, byte[] publicPem, byte[] privatePem, TimeSpan ttl)
    {
        ECDsa? priv = privatePem.Length > 0 ? ParseEcPrivate(privatePem) : null;
        ECDsa? pub = publicPem.Length > 0 ? ParseEcPublic(publicPem) : null;
        if (priv is null)
        {
            if (pub is null) throw new AuthTokenException("auth: missing key data");
            return new JwtTokens(method, new ECDsaSecurityKey(pub), null, ttl);
        }
        if (pub is not null)
        {
            // etcd's check, as written there: a mismatch only when the curve and both coordinates differ.
            ECParameters a = pub.ExportParameters(false), b = priv.ExportParameters(false);
            if (a.Curve.Oid.Value != b.Curve.Oid.Value && !a.Q.X.AsSpan().SequenceEqual(b.Q.X) && !a.Q.Y.AsSpan().SequenceEqual(b.Q.Y))
            {
                throw new AuthTokenException("auth: public and private keys don't match");
            }
        }
        var key = new ECDsaSecurityKey(priv);
        return new JwtTokens(method, key, key, ttl);
    }

    /// <summary>Go's pem.Decode: the bytes of the first PEM block in the file, whatever its label.</summary>
    private static byte[] FirstPemBlock(byte[] file)
    {
        string text = Encoding.Latin1.GetString(file);
        if (!PemEncoding.TryFind(text, out PemFields fields))
        {
            throw new AuthTokenException("invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key");
        }
        return Convert.FromBase64String(text[fields.Base64Data]);
    }

    private static RSA ParseRsaPrivate(byte[] pem)
    {
        byte[] der = FirstPemBlock(pem);
        var rsa = RSA.Create();
        if (TryImport(() => rsa.ImportRSAPrivateKey(der, out _)) || TryImport(() => rsa.ImportPkcs8PrivateKey(der, out _))) return rsa;
        rsa.Dispose();
        using var ec = ECDsa.Create();
        if (TryImport(() => ec.ImportPkcs8PrivateKey(der, out _))) throw new AuthTokenException("key is not a valid RSA private key");
        // Go's x509.ParsePKCS8PrivateKey names the parser a SEC 1 EC key wants.
        if (TryImport(() => ec.ImportECPrivateKey(der, out _))) throw new AuthTokenException(
            "x509: failed to parse private key (use ParseECPrivateKey instead for this key format)");
        throw new AuthTokenException("x509: failed to parse private key");
    }

    private static RSA ParseRsaPublic(byte[] pem)
    {
        byte[] der = FirstPemBlock(pem);
        var rsa = RSA.Create();
        if (TryImport(() => rsa.ImportSubjectPublicKeyInfo(der, out _))) return rsa;
        rsa.Dispose();
        using (var ec = ECDsa.Create())
        {
            if (TryImport(() => ec.ImportSubjectPublicKeyInfo(der, out _))) throw new AuthTokenException("key is not a valid RSA public key");
        }
        if (PublicKeyOfCertificate(der) is not { } cert) throw new AuthTokenException("x509: failed to parse public key");
        using (cert)
        {
            return cert.GetRSAPublicKey() ?? throw new AuthTokenException("key is not a valid RSA public key");
        }
    }

    private static ECDsa ParseEcPrivate(byte[] pem)
    {
        byte[] der = FirstPemBlock(pem);
        var ec = ECDsa.Create();
        if (TryImport(() => ec.ImportECPrivateKey(der, out _)) || TryImport(() => ec.ImportPkcs8PrivateKey(der, out _))) return ec;
        ec.Dispose();
        using var rsa = RSA.Create();
        if (TryImport(() => rsa.ImportPkcs8PrivateKey(der, out _))) throw new AuthTokenException("key is not a valid ECDSA private key");
        if (TryImport(() => rsa.ImportRSAPrivateKey(der, out _))) throw new AuthTokenException(
            "x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)");
        throw new AuthTokenException("x509: failed to parse private key");
    }

    private static ECDsa ParseEcPublic(byte[] pem)
    {
        byte[] der = FirstPemBlock(pem);
        var ec = ECDsa.Create();
        if (TryImport(() => ec.ImportSubjectPublicKeyInfo(der, out _))) return ec;
        ec.Dispose();
        using (var rsa = RSA.Create())
        {
            if (TryImport(() => rsa.ImportSubjectPublicKeyInfo(der, out _))) throw new AuthTokenException("key is not a valid ECDSA public key");
        }
        if (PublicKeyOfCertificate(der) is not { } cert) throw new AuthTokenException("x509: failed to parse public key");
        using (cert)
        {
            return cert.GetECDsaPublicKey() ?? throw new AuthTokenException("key is not a valid ECDSA public key");
        }
    }

    private static X509Certificate2? PublicKeyOfCertificate(byte[] der)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static bool TryImport(Action import)
    {
        try
        {
            import();
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public string NewPrefix() => ""; // tokenJWT.genTokenPrefix

    /// <summary>etcd's tokenJWT.assign: claims username, revision, exp = now + ttl in Unix seconds.</summary>
    public string? Assign(string user, string prefix, long raftIndex, ulong authRevision, long nowMs, out MvccError error)
    {
        if (_signing is null)
        {
            error = MvccError.AuthVerifyOnly;
            return null;
        }
        // golang-jwt marshals MapClaims with sorted keys: {"exp":..,"revision":..,"username":..}.
        var payload = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(payload))
        {
            json.WriteStartObject();
            json.WriteNumber("exp", DateTimeOffset.UtcNow.Add(_ttl).ToUnixTimeSeconds());
            json.WriteNumber("revision", authRevision);
            json.WriteString("username", user);
            json.WriteEndObject();
        }
        try
        {
            error = MvccError.None;
            if (_hmacSecret is not null) return HmacToken(payload.WrittenSpan);
            return _handler.CreateToken(Encoding.UTF8.GetString(payload.WrittenSpan), _signing);
        }
        catch (Exception e) when (e is SecurityTokenException or CryptographicException or ArgumentException or NotSupportedException)
        {
            // golang-jwt refuses to sign with a key that does not fit the method (an ES256 key on another curve).
            error = MvccError.AuthSignFailed;
            return null;
        }
    }

    /// <summary>
    /// HS256/384/512 as golang-jwt signs them: IdentityModel refuses an HMAC key shorter than the hash (a 32-byte
    /// secret with HS512), which etcd accepts, so the MAC is computed here over the same header and claims.
    /// </summary>
    private string HmacToken(ReadOnlySpan<byte> payload)
    {
        string signingInput = Base64UrlEncoder.Encode($"{{\"alg\":\"{_alg}\",\"typ\":\"JWT\"}}") + "." + Base64UrlEncoder.Encode(payload.ToArray());
        return signingInput + "." + Base64UrlEncoder.Encode(Mac(Encoding.ASCII.GetBytes(signingInput)));
    }

    private byte[] Mac(byte[] input) => _alg switch
    {
        "HS256" => HMACSHA256.HashData(_hmacSecret!, input),
        "HS384" => HMACSHA384.HashData(_hmacSecret!, input),
        _ => HMACSHA512.HashData(_hmacSecret!, input),
    };

    /// <summary>etcd's tokenJWT.info: the signing method must be the member's, the signature valid, the time claims too.</summary>
    public AuthInfo? Info(string token, ulong authRevision, long nowMs)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // A token's signature and claims never change and the key is fixed: a token verified once is only
        // checked against its exp again (etcd verifies the signature on every request; the answer is the same).
        if (_verified.TryGetValue(token, out var hit)) return hit.Exp == 0 || now < hit.Exp ? hit.Info : null;
        if (!SignatureValid(token, out string payload) || ClaimsOf(payload, now, out double exp) is not { } info) return null;
        if (_verified.Count >= MaxVerified) _verified.Clear();
        _verified[token] = (info, exp);
        return info;
    }

    private const int MaxVerified = 4096;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (AuthInfo Info, double Exp)> _verified = new(StringComparer.Ordinal);

    /// <summary>golang-jwt's Parse up to the claims: three segments, the member's method in the header, a valid signature.</summary>
    private bool SignatureValid(string token, out string encodedPayload)
    {
        encodedPayload = "";
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException or JsonException or FormatException)
        {
            return false;
        }
        if (jwt.Alg != _alg) return false; // "invalid signing method"
        encodedPayload = jwt.EncodedPayload;
        if (_hmacSecret is not null)
        {
            int dot = token.LastIndexOf('.');
            byte[] signature;
            try
            {
                signature = Base64UrlEncoder.DecodeBytes(token[(dot + 1)..]);
            }
            catch (FormatException)
            {
                return false;
            }
            return CryptographicOperations.FixedTimeEquals(signature, Mac(Encoding.ASCII.GetBytes(token[..dot])));
        }
        TokenValidationResult result;
        try
        {
            // No key resolution over the network here: the task is complete when it returns.
            result = _handler.ValidateTokenAsync(jwt, _validation).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is SecurityTokenException or CryptographicException or ArgumentException or NotSupportedException)
        {
            return false;
        }
        return result.IsValid;
    }

    /// <summary>golang-jwt's MapClaims.Valid (exp, iat, nbf against the whole second now) and etcd's claim reads.</summary>
    private static AuthInfo? ClaimsOf(string encodedPayload, double now, out double exp)
    {
        exp = 0;
        try
        {
            using var doc = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(encodedPayload));
            JsonElement claims = doc.RootElement;
            if (claims.ValueKind != JsonValueKind.Object) return null;
            if (!TimeClaim(claims, "exp", t => now < t) || !TimeClaim(claims, "iat", t => now >= t)
                || !TimeClaim(claims, "nbf", t => now >= t)) return null;
            // etcd reads claims["username"].(string) and claims["revision"].(float64); other types are refused here.
            if (!claims.TryGetProperty("username", out JsonElement user) || user.ValueKind != JsonValueKind.String) return null;
            if (!claims.TryGetProperty("revision", out JsonElement rev) || rev.ValueKind != JsonValueKind.Number) return null;
            double revision = rev.GetDouble();
            if (claims.TryGetProperty("exp", out JsonElement expClaim)) exp = expClaim.GetDouble();
            return new AuthInfo(user.GetString()!, revision <= 0 ? 0 : (ulong)revision);
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>A missing claim (or 0) passes; a number must satisfy <paramref name="valid"/>; any other type fails.</summary>
    private static bool TimeClaim(JsonElement claims, string name, Func<double, bool> valid)
    {
        if (!claims.TryGetProperty(name, out JsonElement value)) return true;
        if (value.ValueKind != JsonValueKind.Number) return false;
        double t = value.GetDouble();
        return t == 0 || valid(t);
    }

    public void InvalidateUser(string user)
    {
    }

    public void Disable()
    {
    }
}
