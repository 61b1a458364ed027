# /etc/profile.d/mmlspark.sh - login shells (bash -l, Jupyter terminals) reset PATH in
# /etc/profile; put the pyspark venv (pyspark, spark-submit, python3) back in front.
case ":$PATH:" in
  *:/opt/venv/bin:*) ;;
  *) PATH="/opt/venv/bin:$PATH"; export PATH ;;
esac
