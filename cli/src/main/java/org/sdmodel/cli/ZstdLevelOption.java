package org.sdmodel.cli;

import java.util.Map;
import java.util.Stack;
import org.sdmodel.zstd.ZstdSettings;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Parses {@code --zstd [LEVEL]}: the level is taken only when the next argument is a number, so
 * that {@code prune --zstd model.ckpt} compresses at the default level instead of failing to
 * read "model.ckpt" as a level (picocli's own optional values take whatever comes next).
 */
final class ZstdLevelOption implements CommandLine.IParameterPreprocessor {
    @Override
    public boolean preprocess(Stack<String> args, CommandSpec commandSpec, ArgSpec argSpec, Map<String, Object> info) {
        // picocli says " " when the value was not attached (--zstd 5) and "=" for --zstd=5
        boolean attached = !" ".equals(info.get("separator"));
        String next = args.isEmpty() ? null : args.peek();
        int level = ZstdSettings.DEFAULT_LEVEL;
        if (next != null && (attached || next.matches("-?\\d+"))) {
            args.pop();
            try {
                level = Integer.parseInt(next);
            } catch (NumberFormatException e) {
                throw new CommandLine.ParameterException(commandSpec.commandLine(), "--zstd: the level must be a number, not '" + next + "'");
            }
        }
        argSpec.setValue(level);
        return true;
    }
}
