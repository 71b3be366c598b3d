using System.Globalization;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Realtime.Pusher.Json;

/// <summary>
/// Compact JSON written exactly as JavaScript's <c>JSON.stringify</c> writes it, so the
/// strings we sign and send (presence <c>channel_data</c>, <c>user_data</c>, REST bodies) are
/// byte-for-byte what the official Node SDK would produce for the same values.
/// Differences from Newtonsoft's default output that this avoids: U+2028/U+2029/U+0085 are
/// not escaped, lone surrogates are escaped as \udxxx, and numbers use JS formatting
/// (1e+21, 1.5e-7, NaN/Infinity as null).
/// </summary>
public static class JsJson
{
    private static readonly JsonSerializer Serializer = JsonSerializer.Create(new JsonSerializerSettings
    {
        DateParseHandling = DateParseHandling.None,
        FloatParseHandling = FloatParseHandling.Double,
    });

    /// <summary>Serializes any value (POCO, anonymous object, JToken, dictionary…) the way JSON.stringify would.</summary>
    public static string Stringify(object? value)
    {
        var sb = new StringBuilder();
        Write(sb, value is JToken t ? t : value is null ? JValue.CreateNull() : JToken.FromObject(value, Serializer));
        return sb.ToString();
    }

    /// <summary>Tokens need no line numbers (errors still carry the reader's position).</summary>
    public static readonly JsonLoadSettings NoLineInfo = new() { LineInfoHandling = LineInfoHandling.Ignore };

    /// <summary>Parses JSON without turning ISO dates into DateTime (values stay as sent).</summary>
    public static JToken Parse(string json)
    {
        using var reader = new JsonTextReader(new StringReader(json))
        {
            DateParseHandling = DateParseHandling.None,
            FloatParseHandling = FloatParseHandling.Double,
            ArrayPool = JsonCharPool.Shared,
        };
        var token = JToken.ReadFrom(reader, NoLineInfo);
        while (reader.Read())
        {
            if (reader.TokenType != JsonToken.Comment)
                throw new JsonReaderException("Additional text found in JSON after the value.");
        }
        return token;
    }

    public static void Write(StringBuilder sb, JToken token)
    {
        switch (token.Type)
        {
            case JTokenType.Object:
                sb.Append('{');
                var first = true;
                foreach (var prop in ((JObject)token).Properties())
                {
                    if (prop.Value.Type == JTokenType.Undefined) continue;
                    if (!first) sb.Append(',');
                    first = false;
                    Quote(sb, prop.Name);
                    sb.Append(':');
                    Write(sb, prop.Value);
                }
                sb.Append('}');
                break;
            case JTokenType.Array:
                sb.Append('[');
                var i = 0;
                foreach (var item in (JArray)token)
                {
                    if (i++ > 0) sb.Append(',');
                    if (item.Type == JTokenType.Undefined) sb.Append("null");
                    else Write(sb, item);
                }
                sb.Append(']');
                break;
            case JTokenType.Null:
            case JTokenType.Undefined:
                sb.Append("null");
                break;
            case JTokenType.Boolean:
                sb.Append((bool)token ? "true" : "false");
                break;
            case JTokenType.Integer:
                sb.Append(Convert.ToString(((JValue)token).Value, CultureInfo.InvariantCulture));
                break;
            case JTokenType.Float:
                sb.Append(FormatNumber(Convert.ToDouble(((JValue)token).Value, CultureInfo.InvariantCulture)));
                break;
            case JTokenType.String:
                Quote(sb, (string)token!);
                break;
            case JTokenType.Bytes:
                Quote(sb, Convert.ToBase64String((byte[])((JValue)token).Value!));
                break;
            case JTokenType.Date:
            case JTokenType.Guid:
            case JTokenType.Uri:
            case JTokenType.TimeSpan:
            default:
                // Let Newtonsoft decide the text (ISO dates etc.), then quote it JS-style.
                var text = JsonConvert.DeserializeObject<string>(token.ToString(Formatting.None),
                    new JsonSerializerSettings { DateParseHandling = DateParseHandling.None });
                if (text is null) sb.Append("null"); else Quote(sb, text);
                break;
        }
    }

    /// <summary>A JSON string literal as JSON.stringify writes it (ES2019 well-formed stringify).</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        Quote(sb, s);
        return sb.ToString();
    }

    public static void Quote(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        AppendUnicodeEscape(sb, c);
                    }
                    else if (char.IsHighSurrogate(c))
                    {
                        if (i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { sb.Append(c).Append(s[i + 1]); i++; }
                        else AppendUnicodeEscape(sb, c);
                    }
                    else if (char.IsLowSurrogate(c))
                    {
                        AppendUnicodeEscape(sb, c);
                    }
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    private static void AppendUnicodeEscape(StringBuilder sb, char c) =>
        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));

    /// <summary>ECMAScript Number::toString(10) for finite values; NaN and ±Infinity become null as in JSON.stringify.</summary>
    public static string FormatNumber(double d)
    {
        if (double.IsNaN(d) || double.IsInfinity(d)) return "null";
        if (d == 0) return "0"; // also -0
        var negative = d < 0;
        // "E16" is not shortest; "R" is shortest round-trip on .NET Core 3.0+.
        var r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        // Split r into digits (no leading/trailing zeros) and the decimal exponent n such that value = 0.digits × 10^n.
        var ePos = r.IndexOfAny(['E', 'e']);
        var mantissa = ePos >= 0 ? r[..ePos] : r;
        var exp = ePos >= 0 ? int.Parse(r[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        var dot = mantissa.IndexOf('.');
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : "";
        var digits = (intPart + fracPart).TrimStart('0');
        var leadingZerosRemoved = (intPart + fracPart).Length - digits.Length;
        var n = intPart.Length - leadingZerosRemoved + exp;
        digits = digits.TrimEnd('0');
        var k = digits.Length;

        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        if (k <= n && n <= 21)
        {
            sb.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            sb.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            sb.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            var e = n - 1;
            sb.Append(digits[0]);
            if (k > 1) sb.Append('.').Append(digits, 1, k - 1);
            sb.Append('e').Append(e >= 0 ? "+" : "-").Append(Math.Abs(e).ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
