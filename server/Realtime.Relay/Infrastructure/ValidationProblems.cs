using FluentValidation.Results;
using Microsoft.AspNetCore.Mvc;

namespace Realtime.Relay.Infrastructure;

public static class ValidationProblems
{
    /// <summary>A 400 problem listing each failing field and why.</summary>
    public static ObjectResult ToProblem(this ValidationResult result, HttpContext http) =>
        Problems.Result(http, StatusCodes.Status400BadRequest, ErrorCodes.InvalidRequest,
            string.Join(" ", result.Errors.Select(e => e.ErrorMessage).Distinct()),
            result.Errors.GroupBy(e => e.PropertyName)
                .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).ToArray()));
}
