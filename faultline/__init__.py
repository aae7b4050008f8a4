"""faultline: consistency tests for ZooKeeper and etcd."""
