using Microsoft.Extensions.Logging;
using Microsoft.VisualBasic.FileIO;

namespace KvStore.ApiServer.Security;

/// <summary>
/// kube's --token-auth-file (apiserver/pkg/authentication/token/tokenfile): CSV records
/// <c>token,user,uid[,"group1,group2"]</c>, quoted as Go's encoding/csv reads them, nothing trimmed. A record with an
/// empty token is skipped and a repeated token replaces the earlier one, each with kube's warning. Tests: TokenFileTests.
/// </summary>
public sealed class TokenFileAuthenticator
{
    private readonly Dictionary<string, UserInfo> _tokens;

    private TokenFileAuthenticator(Dictionary<string, UserInfo> tokens) => _tokens = tokens;

    public int Count => _tokens.Count;

    public static TokenFileAuthenticator FromFile(string path, ILogger logger)
    {
        var bytes = ApiServerConfigException.ReadFile(path);
        var tokens = new Dictionary<string, UserInfo>(StringComparer.Ordinal);
        using var parser = new TextFieldParser(new MemoryStream(bytes))
        {
            TextFieldType = FieldType.Delimited,
            HasFieldsEnclosedInQuotes = true,
            TrimWhiteSpace = false,
        };
        parser.SetDelimiters(",");
        var recordNum = 0;
        while (!parser.EndOfData)
        {
            string[] record;
            try
            {
                record = parser.ReadFields() ?? [];
            }
            catch (MalformedLineException e)
            {
                throw new ApiServerConfigException($"parse error on line {e.LineNumber}: {e.Message}", e);
            }
            if (record.Length < 3)
            {
                throw new ApiServerConfigException(
                    $"token file '{path}' must have at least 3 columns (token, user name, user uid), found {record.Length}");
            }
            recordNum++;
            if (record[0].Length == 0)
            {
                Log.EmptyToken(logger, path, recordNum);
                continue;
            }
            if (tokens.ContainsKey(record[0])) Log.DuplicateToken(logger, path, recordNum);
            tokens[record[0]] = new UserInfo(record[1], record[2], record.Length >= 4 ? record[3].Split(',') : []);
        }
        return new TokenFileAuthenticator(tokens);
    }

    public UserInfo? Authenticate(string token) => _tokens.GetValueOrDefault(token);
}
