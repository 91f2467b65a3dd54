package org.sdmodel.cli;

import java.util.Map;
import java.util.Stack;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Parses an option with an optional number, such as {@code --zstd [LEVEL]}: the next argument is
 * taken only when it is a number, so that {@code prune --zstd model.ckpt} uses the option's
 * fallback value instead of failing to read "model.ckpt" as a level (picocli's own optional
 * values take whatever comes next). {@code --zstd=5} always takes its value.
 */
final class OptionalNumber implements CommandLine.IParameterPreprocessor {
    @Override
    public boolean preprocess(Stack<String> args, CommandSpec commandSpec, ArgSpec argSpec, Map<String, Object> info) {
        OptionSpec option = (OptionSpec) argSpec;
        // picocli says " " when the value was not attached (--zstd 5) and "=" for --zstd=5
        boolean attached = !" ".equals(info.get("separator"));
        String next = args.isEmpty() ? null : args.peek();
        String value = option.fallbackValue();
        if (next != null && (attached || next.matches("-?\\d+"))) {
            value = args.pop();
        }
        try {
            option.setValue(Integer.parseInt(value));
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(commandSpec.commandLine(),
                    option.longestName() + ": expected a number, not '" + value + "'");
        }
        return true;
    }
}
