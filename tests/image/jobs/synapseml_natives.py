"""synapseml_natives.py - spark-submit job (run by tests/image/e2e.py inside the image, offline):
every native component SynapseML ships loads and works: LightGBM, Vowpal Wabbit, OpenCV and
ONNX Runtime. Prints "NATIVE <name> ok ..." per component; any failure raises (non-zero exit)."""
import numpy as np
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession
from sklearn.datasets import load_breast_cancer

spark = SparkSession.builder.appName("synapseml-natives").getOrCreate()
pdf = load_breast_cancer(as_frame=True).frame.rename(columns=lambda c: c.replace(" ", "_"))
cols = [c for c in pdf.columns if c != "target"]
df = spark.createDataFrame(pdf)

from synapse.ml.lightgbm import LightGBMClassifier  # noqa: E402  (lib_lightgbm.so, libgomp)

vec = VectorAssembler(inputCols=cols, outputCol="features").transform(df)
model = LightGBMClassifier(labelCol="target", numIterations=20, verbosity=-1).fit(vec)
right = model.transform(vec).filter("prediction = target").count()
assert right > 0.9 * pdf.shape[0], right
print("NATIVE lightgbm ok: %d of %d right" % (right, pdf.shape[0]), flush=True)

from synapse.ml.vw import VowpalWabbitClassifier, VowpalWabbitFeaturizer  # noqa: E402

feat = VowpalWabbitFeaturizer(inputCols=cols, outputCol="features").transform(df)
vw = VowpalWabbitClassifier(labelCol="target", numPasses=2).fit(feat)
right = vw.transform(feat).filter("prediction = target").count()
assert right > 0.7 * pdf.shape[0], right  # a constant guess gets 0.63
print("NATIVE vowpal-wabbit ok: %d of %d right" % (right, pdf.shape[0]), flush=True)

from synapse.ml.opencv import ImageTransformer  # noqa: E402  (libopencv_java320.so)

pixels = np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3)
image = ("mem://x", 8, 8, 3, 16, bytearray(pixels.tobytes()))
images = spark.createDataFrame(
    [(image,)], "image struct<origin:string,height:int,width:int,nChannels:int,mode:int,data:binary>")
small = ImageTransformer(inputCol="image", outputCol="small").resize(size=(4, 4), keep_aspect_ratio=False)
got = small.transform(images).select("small.height", "small.width").first()
assert (got[0], got[1]) == (4, 4), got
print("NATIVE opencv ok: 8x8 resized to %dx%d" % (got[0], got[1]), flush=True)

jvm = spark._jvm  # ONNX Runtime's JNI library loads with its environment (CPU provider)
env = jvm.ai.onnxruntime.OrtEnvironment.getEnvironment()
providers = sorted(str(p) for p in jvm.ai.onnxruntime.OrtEnvironment.getAvailableProviders())
assert "CPU" in providers, providers  # CUDA is listed too; it needs a GPU
print("NATIVE onnxruntime ok: %s providers %s" % (env.getClass().getName(), providers), flush=True)
spark.stop()
