package org.sdmodel.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.sdmodel.ModelFile;
import org.sdmodel.pickle.ImportSafety;
import org.sdmodel.pickle.PickleImport;

/**
 * The warning convert, prune and inspect print for imports outside the allow list: the file is read
 * (they are inert placeholders, never run, and a safetensors output holds only tensors), but the
 * input itself is not safe to load with {@code torch.load}.
 */
final class ImportWarnings {
    private static final int SHOWN = 5;

    private ImportWarnings() {
    }

    static void print(PrintWriter err, Path input, ModelFile model) {
        List<String> names = model.imports().stream().filter(i -> i.safety() == ImportSafety.NOT_ALLOWED)
                .map(PickleImport::displayName).distinct().toList();
        if (names.isEmpty()) {
            return;
        }
        String shown = String.join(", ", names.subList(0, Math.min(SHOWN, names.size())))
                + (names.size() > SHOWN ? " and " + (names.size() - SHOWN) + " more" : "");
        err.println("sdmodel: warning: " + input + ": " + (names.size() == 1 ? "an import" : names.size() + " imports")
                + " outside the allow list (" + shown + "): read as inert data, never run; do not load this file"
                + " with torch.load (see 'sdmodel scan')");
        err.flush();
    }
}
