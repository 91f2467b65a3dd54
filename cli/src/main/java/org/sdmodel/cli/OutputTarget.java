package org.sdmodel.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * What {@code -o} names: a file, or a folder. A folder is one that exists, or any path written
 * with a trailing slash ({@code -o pruned/}), which is created when missing. The slash has to be
 * kept apart from the path because {@link Path} drops it: {@code Path.of("pruned/")} is
 * {@code pruned}, which would otherwise become a file of that name.
 *
 * @param path the path as given, without the trailing slash
 * @param slash true if it was written with a trailing slash
 */
record OutputTarget(Path path, boolean slash) {

    static OutputTarget parse(String value) {
        boolean slash = value.endsWith("/") || value.endsWith(File.separator);
        try {
            return new OutputTarget(Path.of(value), slash);
        } catch (InvalidPathException e) {
            throw new TypeConversionException("'" + value + "' is not a valid path: " + e.getReason());
        }
    }

    /** True when outputs go into this folder (an existing one, or one to create). */
    boolean isFolder() {
        return slash || Files.isDirectory(path);
    }

    @Override
    public String toString() {
        return path + (slash ? File.separator : "");
    }

    /** picocli's converter for {@code -o}. */
    static final class Converter implements ITypeConverter<OutputTarget> {
        @Override
        public OutputTarget convert(String value) {
            return parse(value);
        }
    }
}
