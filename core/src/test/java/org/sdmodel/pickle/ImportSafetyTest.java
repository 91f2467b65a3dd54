package org.sdmodel.pickle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.testing.HostileFiles;

/**
 * The classification the issue specifies: what checkpoints legitimately use is safe; code
 * execution and system access are dangerous, however they are spelled (Python 2 names, dotted
 * attribute paths protocol 4 resolves, computed names); anything else is not allowed.
 */
class ImportSafetyTest {

    static Stream<String[]> dangerousImports() {
        return HostileFiles.DANGEROUS_IMPORTS.stream();
    }

    @ParameterizedTest(name = "{0}.{1}")
    @MethodSource("dangerousImports")
    void everyImportTheIssueNamesIsDangerous(String module, String name) {
        assertEquals(ImportSafety.DANGEROUS, ImportSafety.classify(module, name));
    }

    @ParameterizedTest(name = "{0}.{1}")
    @CsvSource({
        // what torch.save writes
        "torch._utils, _rebuild_tensor_v2", "torch._utils, _rebuild_tensor", "torch._utils, _rebuild_parameter",
        "torch._tensor, _rebuild_from_type_v2", "torch, FloatStorage", "torch, HalfStorage", "torch, BFloat16Storage",
        "torch, LongStorage", "torch.storage, UntypedStorage", "torch, Size", "torch, float16", "collections, OrderedDict",
        // Python 2 spellings of bytes and sets (protocol 2)
        "_codecs, encode", "__builtin__, set", "builtins, set", "__builtin__, frozenset", "builtins, bytearray",
        // numpy scalars and arrays in hyper-parameters and callbacks
        "numpy.core.multiarray, scalar", "numpy._core.multiarray, scalar", "numpy, dtype",
        "numpy.core.multiarray, _reconstruct", "numpy, ndarray",
        // Lightning's callbacks
        "pytorch_lightning.callbacks.model_checkpoint, ModelCheckpoint",
        "pytorch_lightning.callbacks.early_stopping, EarlyStopping",
    })
    void whatCheckpointsUseIsAllowed(String module, String name) {
        // Protocol 2, torch's default: Python 2 names are renamed first, as CPython does.
        assertEquals(ImportSafety.ALLOWED, ImportPolicy.defaults().classify(module, name, 2));
    }

    @ParameterizedTest(name = "{0}.{1}")
    @CsvSource({
        "__main__, MyModel", "ldm.models.diffusion.ddpm, LatentDiffusion", "torch.nn.modules.conv, Conv2d",
        "torch._utils, _rebuild_tensor_v2.Inner", "pathlib, PosixPath.write_text", "datetime, datetime",
        "uuid, UUID", "torch, _utils._rebuild_tensor_v2", "__builtin__, set",
    })
    void anythingElseIsNotAllowed(String module, String name) {
        assertEquals(ImportSafety.NOT_ALLOWED, ImportSafety.classify(module, name));
    }

    @ParameterizedTest(name = "{0}.{1}")
    @CsvSource({
        // below a dangerous module
        "os.path, join", "subprocess, run", "urllib.request, urlretrieve", "http.server, HTTPServer",
        "multiprocessing.popen_fork, Popen",
        // Python 2 names pickle's fix_imports maps onto dangerous modules
        "cPickle, loads", "commands, getoutput", "__builtin__, reduce", "__builtin__, intern", "thread, start_new_thread",
        // attribute paths (protocol 4 resolves dotted names step by step)
        "torch, os.system", "torch, load", "torch, serialization.load", "torch, hub.load", "numpy, load",
        "torch._utils, _rebuild_tensor.__globals__", "builtins, object.__subclasses__", "collections, OrderedDict.__init__.__globals__",
        "builtins, eval.__call__", "argparse, Namespace.__reduce__",
        // other ways to run code
        "torch.utils.cpp_extension, load_inline", "pkgutil, resolve_name", "pydoc, pipepager", "logging.config, listen",
        "code, InteractiveInterpreter", "ctypes, CDLL", "importlib, import_module", "marshal, loads",
    })
    void otherSpellingsOfDangerAreDangerous(String module, String name) {
        assertEquals(ImportSafety.DANGEROUS, ImportSafety.classify(module, name));
    }

    @Test
    void namesNoPythonModuleHasAreDangerous() {
        // Python would try to import them anyway (a module file may have any name on disk).
        for (String[] bad : List.of(new String[] {"os\r", "system"}, new String[] {"", "x"}, new String[] {"a b", "c"},
                new String[] {"torch", ""}, new String[] {"torch..x", "y"}, new String[] {"x", "y\u0000"})) {
            assertEquals(ImportSafety.DANGEROUS, ImportSafety.classify(bad[0], bad[1]), bad[0] + "." + bad[1]);
        }
        assertEquals(ImportSafety.DANGEROUS, PickleImport.computed("r").safety());
        assertEquals(PickleImport.COMPUTED, PickleImport.computed("r").qualifiedName());
        // Unicode identifiers are valid Python.
        assertEquals(ImportSafety.NOT_ALLOWED, ImportSafety.classify("modèle", "Classe"));
    }
}
