using System.Security.Cryptography;
using System.Text;

namespace Realtime.Relay.Pairing;

/// <summary>
/// The code an educator types: 8 letters from an alphabet without vowels or look-alikes
/// (RFC 8628 §6.1), shown as <c>ABCD-EFGH</c>. 20^8 ≈ 2.6e10 codes. Input is accepted with or
/// without the dash (or spaces) and in any case.
/// </summary>
public static class UserCodes
{
    public const string Alphabet = "BCDFGHJKLMNPQRSTVWXZ";
    public const int Length = 8;

    /// <summary>A new random code in stored form (8 upper-case letters, no dash).</summary>
    public static string New()
    {
        Span<char> chars = stackalloc char[Length];
        for (var i = 0; i < Length; i++) chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return new string(chars);
    }

    /// <summary>The stored form of what a user typed, or null when it cannot be a code.</summary>
    public static string? Normalize(string? input)
    {
        if (input is null || input.Length > 32) return null;
        var sb = new StringBuilder(Length);
        foreach (var c in input)
        {
            if (c is '-' or ' ') continue;
            var upper = char.ToUpperInvariant(c);
            if (!Alphabet.Contains(upper)) return null;
            sb.Append(upper);
        }
        return sb.Length == Length ? sb.ToString() : null;
    }

    /// <summary>The display form: <c>ABCD-EFGH</c>.</summary>
    public static string Format(string code) => code.Length == Length ? code[..4] + "-" + code[4..] : code;
}
