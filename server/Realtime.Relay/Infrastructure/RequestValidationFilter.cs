using FluentValidation;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// Validates every request body that has a validator (registered in DI) before the action runs,
/// answering 400 problem+json with the failing fields. An absent body is validated as an empty
/// request, so "players is required" is said the same way whether the body was <c>{}</c> or nothing;
/// the action then receives that empty request, never null.
/// </summary>
public sealed class RequestValidationFilter : IAsyncActionFilter
{
    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        foreach (var parameter in context.ActionDescriptor.Parameters)
        {
            if (parameter.BindingInfo?.BindingSource != BindingSource.Body) continue;
            var validatorType = typeof(IValidator<>).MakeGenericType(parameter.ParameterType);
            if (context.HttpContext.RequestServices.GetService(validatorType) is not IValidator validator) continue;
            context.ActionArguments.TryGetValue(parameter.Name, out var argument);
            argument ??= context.ActionArguments[parameter.Name] = EmptyRequest(parameter.ParameterType);
            var result = await validator.ValidateAsync(new ValidationContext<object>(argument), context.HttpContext.RequestAborted);
            if (!result.IsValid)
            {
                context.Result = result.ToProblem(context.HttpContext);
                return;
            }
        }
        await next();
    }

    /// <summary>A request with every member absent: its public constructor called with defaults.</summary>
    private static object EmptyRequest(Type type)
    {
        var constructor = type.GetConstructors().OrderBy(c => c.GetParameters().Length).First();
        return constructor.Invoke(constructor.GetParameters().Select(p => p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray());
    }
}
