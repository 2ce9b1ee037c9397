// SPDX-License-Identifier: GPL-2.0
/*
 * podcam: a virtual delivery camera for testing photo-on-delivery software.
 *
 * One platform device podcam.N per camera, bound to the platform driver
 * "podcam"; each instance has a V4L2 capture node and a GPIO chip. This
 * file holds the module parameters, the platform devices and driver
 * (probe, remove, release), debugfs and error injection.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "podcam.h"

static unsigned int podcam_devices = 1;
static bool podcam_devices_given;
static char *podcam_roles[PODCAM_MAX_DEVICES];
static int podcam_nroles;
static unsigned int podcam_fail_probe_step;

/* The role of each camera, from roles= or the default "cameraN". */
static char podcam_role_names[PODCAM_MAX_DEVICES][PODCAM_ROLE_MAX + 1];
static struct platform_device *podcam_pdevs[PODCAM_MAX_DEVICES];
static int podcam_probe_err[PODCAM_MAX_DEVICES];
static struct dentry *podcam_debugfs_root;
struct workqueue_struct *podcam_wq;

const char *const podcam_fail_names[PODCAM_FAIL_COUNT] = {
	[PODCAM_FAIL_NONE] = "none",
	[PODCAM_FAIL_ALLOC] = "alloc",
	[PODCAM_FAIL_V4L2] = "v4l2",
	[PODCAM_FAIL_CTRLS] = "ctrls",
	[PODCAM_FAIL_QUEUE] = "queue",
	[PODCAM_FAIL_IRQ] = "irq",
	[PODCAM_FAIL_GPIO] = "gpio",
	[PODCAM_FAIL_VIDEO] = "video",
	[PODCAM_FAIL_SCENE] = "scene",
	[PODCAM_FAIL_START] = "start",
};

static int podcam_devices_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;

	if (kstrtouint(val, 10, &n) || n < 1 || n > PODCAM_MAX_DEVICES) {
		pr_err("devices=%s: the number of cameras must be 1 to %d\n",
		       val, PODCAM_MAX_DEVICES);
		return -EINVAL;
	}
	podcam_devices = n;
	podcam_devices_given = true;
	return 0;
}

static const struct kernel_param_ops podcam_devices_ops = {
	.set = podcam_devices_set,
	.get = param_get_uint,
};

module_param_cb(devices, &podcam_devices_ops, &podcam_devices, 0444);
MODULE_PARM_DESC(devices,
		 "number of cameras, 1 to 8 (default: 1, or as many as roles=)");

module_param_array_named(roles, podcam_roles, charp, &podcam_nroles, 0444);
MODULE_PARM_DESC(roles,
		 "comma-separated camera roles, 1-31 characters of a-z, 0-9 and - (default: camera0,camera1,...)");

/* Probe steps only; the start_streaming steps are per camera in debugfs. */
static int podcam_fail_probe_set(const char *val,
				 const struct kernel_param *kp)
{
	int step = __sysfs_match_string(podcam_fail_names,
					PODCAM_FAIL_FIRST_STREAMON, val);

	if (step < 0) {
		pr_err("fail_probe=%s: not a probe step (none, alloc, v4l2, ctrls, queue, irq, gpio, video)\n",
		       val);
		return -EINVAL;
	}
	WRITE_ONCE(podcam_fail_probe_step, step);
	return 0;
}

static int podcam_fail_probe_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  podcam_fail_names[READ_ONCE(podcam_fail_probe_step)]);
}

static const struct kernel_param_ops podcam_fail_probe_ops = {
	.set = podcam_fail_probe_set,
	.get = podcam_fail_probe_get,
};

module_param_cb(fail_probe, &podcam_fail_probe_ops, &podcam_fail_probe_step,
		0644);
MODULE_PARM_DESC(fail_probe,
		 "error injection: fail every probe at this step, one of none, alloc, v4l2, ctrls, queue, irq, gpio, video (default: none)");

static int podcam_fail_probe(struct device *d, enum podcam_fail step)
{
	if (READ_ONCE(podcam_fail_probe_step) != step)
		return 0;
	dev_info(d, "injected failure at probe step %s\n",
		 podcam_fail_names[step]);
	return -ENOMEM;
}

/* Called with dev->lock held; a start_streaming failure is one-shot. */
int podcam_fail_streamon(struct podcam_dev *dev, enum podcam_fail step)
{
	if (dev->fail_streamon != step)
		return 0;
	dev->fail_streamon = PODCAM_FAIL_NONE;
	dev_info(&dev->pdev->dev, "injected failure at streamon step %s\n",
		 podcam_fail_names[step]);
	return -ENOMEM;
}

static ssize_t role_show(struct device *d, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", (const char *)dev_get_platdata(d));
}
static DEVICE_ATTR_RO(role);

static struct attribute *podcam_pdev_attrs[] = {
	&dev_attr_role.attr,
	NULL,
};
ATTRIBUTE_GROUPS(podcam_pdev);

static int podcam_flash_show(struct seq_file *s, void *unused)
{
	struct podcam_dev *dev = s->private;

	seq_printf(s, "%d\n", READ_ONCE(dev->flash));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(podcam_flash);

static int podcam_dropped_get(void *data, u64 *val)
{
	struct podcam_dev *dev = data;

	*val = atomic64_read(&dev->dropped);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(podcam_dropped_fops, podcam_dropped_get, NULL,
			 "%llu\n");

static ssize_t podcam_fail_streamon_read(struct file *file, char __user *ubuf,
					 size_t count, loff_t *ppos)
{
	struct podcam_dev *dev = file->private_data;
	char buf[16];
	int len;

	mutex_lock(&dev->lock);
	len = scnprintf(buf, sizeof(buf), "%s\n",
			podcam_fail_names[dev->fail_streamon]);
	mutex_unlock(&dev->lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t podcam_fail_streamon_write(struct file *file,
					  const char __user *ubuf,
					  size_t count, loff_t *ppos)
{
	struct podcam_dev *dev = file->private_data;
	char buf[16];
	int step;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	step = sysfs_match_string(podcam_fail_names, buf);
	if (step < 0 || (step != PODCAM_FAIL_NONE &&
			 step < PODCAM_FAIL_FIRST_STREAMON))
		return -EINVAL;

	mutex_lock(&dev->lock);
	dev->fail_streamon = step;
	mutex_unlock(&dev->lock);
	return count;
}

static const struct file_operations podcam_fail_streamon_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = podcam_fail_streamon_read,
	.write = podcam_fail_streamon_write,
	.llseek = default_llseek,
};

/* debugfs is optional: its failures are not errors. */
static void podcam_debugfs_init(struct podcam_dev *dev)
{
	struct dentry *dir;

	dir = debugfs_create_dir(dev->role, podcam_debugfs_root);
	debugfs_create_file("trigger", 0600, dir, dev, &podcam_trigger_fops);
	debugfs_create_file("flash", 0400, dir, dev, &podcam_flash_fops);
	debugfs_create_file_unsafe("scene", 0600, dir, dev,
				   &podcam_scene_fops);
	debugfs_create_file_unsafe("frames_dropped", 0400, dir, dev,
				   &podcam_dropped_fops);
	debugfs_create_file("fail_streamon", 0600, dir, dev,
			    &podcam_fail_streamon_fops);
	dev->debugfs = dir;
}

/*
 * The v4l2_device release callback: the last reference is gone, which is
 * at remove() when nothing has the video node open, or else at the last
 * close.
 */
static void podcam_release(struct v4l2_device *v4l2_dev)
{
	struct podcam_dev *dev = container_of(v4l2_dev, struct podcam_dev,
					      v4l2_dev);

	v4l2_ctrl_handler_free(&dev->ctrl_handler);
	v4l2_device_unregister(&dev->v4l2_dev);
	podcam_scene_free(dev);
	mutex_destroy(&dev->scene_lock);
	mutex_destroy(&dev->lock);
	kfree(dev);
}

static int podcam_create(struct platform_device *pdev, const char *role)
{
	struct device *d = &pdev->dev;
	struct podcam_dev *dev;
	int ret;

	if (podcam_fail_probe(d, PODCAM_FAIL_ALLOC))
		return -ENOMEM;
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;

	dev->pdev = pdev;
	dev->id = pdev->id;
	strscpy(dev->role, role, sizeof(dev->role));
	mutex_init(&dev->lock);
	mutex_init(&dev->scene_lock);
	spin_lock_init(&dev->qlock);
	INIT_LIST_HEAD(&dev->buf_list);

	ret = podcam_fail_probe(d, PODCAM_FAIL_V4L2) ?:
	      v4l2_device_register(d, &dev->v4l2_dev);
	if (ret)
		goto err_free_dev;
	dev->v4l2_dev.release = podcam_release;

	ret = podcam_fail_probe(d, PODCAM_FAIL_CTRLS) ?:
	      podcam_ctrls_init(dev);
	if (ret)
		goto err_unreg_v4l2;

	ret = podcam_fail_probe(d, PODCAM_FAIL_QUEUE) ?:
	      podcam_queue_init(dev);
	if (ret)
		goto err_free_ctrls;

	ret = podcam_fail_probe(d, PODCAM_FAIL_IRQ) ?: podcam_gpio_alloc(dev);
	if (ret)
		goto err_free_ctrls;

	ret = podcam_fail_probe(d, PODCAM_FAIL_GPIO) ?: podcam_gpio_add(dev);
	if (ret)
		goto err_put_gpio;

	podcam_debugfs_init(dev);

	ret = podcam_fail_probe(d, PODCAM_FAIL_VIDEO) ?:
	      podcam_video_register(dev);
	if (ret)
		goto err_remove_debugfs;

	platform_set_drvdata(pdev, dev);
	dev_info(d, "camera %s: %s, GPIO chip podcam-%s\n", dev->role,
		 video_device_node_name(&dev->vdev), dev->role);
	return 0;

err_remove_debugfs:
	debugfs_remove_recursive(dev->debugfs);
	podcam_gpio_remove(dev);
err_put_gpio:
	podcam_gpio_put(dev);
err_free_ctrls:
	v4l2_ctrl_handler_free(&dev->ctrl_handler);
err_unreg_v4l2:
	v4l2_device_unregister(&dev->v4l2_dev);
err_free_dev:
	mutex_destroy(&dev->scene_lock);
	mutex_destroy(&dev->lock);
	kfree(dev);
	return ret;
}

static int podcam_probe(struct platform_device *pdev)
{
	const char *role = dev_get_platdata(&pdev->dev);
	int ret;

	if (!role || pdev->id < 0 || pdev->id >= PODCAM_MAX_DEVICES)
		return -ENODEV;

	ret = podcam_create(pdev, role);
	podcam_probe_err[pdev->id] = ret;
	return ret;
}

/*
 * Unbind, also while the video node is open or streaming: stop everything
 * that could call into the driver and drop the probe's reference. Open
 * file handles get errors from now on; podcam_release() frees the camera
 * after the last one is closed.
 */
static void podcam_remove(struct platform_device *pdev)
{
	struct podcam_dev *dev = platform_get_drvdata(pdev);

	debugfs_remove_recursive(dev->debugfs);
	podcam_gpio_remove(dev);
	podcam_gpio_put(dev);
	/* Stops streaming and wakes up DQBUF waiters. */
	vb2_video_unregister_device(&dev->vdev);

	mutex_lock(&dev->lock);
	v4l2_device_disconnect(&dev->v4l2_dev);
	mutex_unlock(&dev->lock);
	v4l2_device_put(&dev->v4l2_dev);
}

static struct platform_driver podcam_driver = {
	.probe = podcam_probe,
	.remove_new = podcam_remove,
	.driver = {
		.name = PODCAM_NAME,
	},
};

static bool podcam_role_valid(const char *role)
{
	size_t len = strlen(role);

	return len >= 1 && len <= PODCAM_ROLE_MAX &&
	       strspn(role, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

static int podcam_check_roles(void)
{
	unsigned int i, j;

	if (podcam_nroles) {
		if (!podcam_devices_given) {
			podcam_devices = podcam_nroles;
		} else if (podcam_nroles != podcam_devices) {
			pr_err("roles= names %d cameras but devices=%u\n",
			       podcam_nroles, podcam_devices);
			return -EINVAL;
		}
	}

	for (i = 0; i < podcam_devices; i++) {
		const char *role = podcam_roles[i];

		if (i >= podcam_nroles) {
			snprintf(podcam_role_names[i],
				 sizeof(podcam_role_names[i]), "camera%u", i);
			continue;
		}
		if (!podcam_role_valid(role)) {
			pr_err("roles=: role %u \"%s\" is not 1-31 characters of a-z, 0-9 and -\n",
			       i, role);
			return -EINVAL;
		}
		strscpy(podcam_role_names[i], role,
			sizeof(podcam_role_names[i]));
	}

	for (i = 0; i < podcam_devices; i++) {
		for (j = 0; j < i; j++) {
			if (!strcmp(podcam_role_names[i],
				    podcam_role_names[j])) {
				pr_err("roles=: role \"%s\" is given twice\n",
				       podcam_role_names[i]);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int podcam_add_device(unsigned int id)
{
	const char *role = podcam_role_names[id];
	struct platform_device *pdev;
	int ret;

	pdev = platform_device_alloc(PODCAM_NAME, id);
	if (!pdev)
		return -ENOMEM;

	pdev->dev.groups = podcam_pdev_groups;
	ret = platform_device_add_data(pdev, role, strlen(role) + 1);
	if (ret)
		goto err_put_pdev;

	ret = platform_device_add(pdev);
	if (ret)
		goto err_put_pdev;

	/* A camera that cannot probe makes the whole load fail. */
	if (!pdev->dev.driver) {
		ret = podcam_probe_err[id] ?: -ENODEV;
		pr_err("camera %u (%s) failed to probe (%d)\n", id, role, ret);
		platform_device_unregister(pdev);
		return ret;
	}

	podcam_pdevs[id] = pdev;
	return 0;

err_put_pdev:
	platform_device_put(pdev);
	return ret;
}

static int __init podcam_init(void)
{
	unsigned int i;
	int ret;

	ret = podcam_check_roles();
	if (ret)
		return ret;

	podcam_wq = alloc_workqueue(PODCAM_NAME, WQ_HIGHPRI | WQ_UNBOUND, 0);
	if (!podcam_wq)
		return -ENOMEM;

	podcam_debugfs_root = debugfs_create_dir(PODCAM_NAME, NULL);

	ret = platform_driver_register(&podcam_driver);
	if (ret)
		goto err_remove_debugfs;

	for (i = 0; i < podcam_devices; i++) {
		ret = podcam_add_device(i);
		if (ret)
			goto err_unregister_devices;
	}
	return 0;

err_unregister_devices:
	while (i--)
		platform_device_unregister(podcam_pdevs[i]);
	platform_driver_unregister(&podcam_driver);
err_remove_debugfs:
	debugfs_remove_recursive(podcam_debugfs_root);
	flush_workqueue(podcam_wq);
	podcam_gpio_exit();
	destroy_workqueue(podcam_wq);
	return ret;
}

static void __exit podcam_exit(void)
{
	unsigned int i = podcam_devices;

	while (i--)
		platform_device_unregister(podcam_pdevs[i]);
	platform_driver_unregister(&podcam_driver);
	debugfs_remove_recursive(podcam_debugfs_root);
	/* Orphaned GPIO chips whose last line was just freed. */
	flush_workqueue(podcam_wq);
	podcam_gpio_exit();
	destroy_workqueue(podcam_wq);
}

module_init(podcam_init);
module_exit(podcam_exit);

MODULE_DESCRIPTION("podcam: virtual delivery camera (V4L2 capture and GPIO)");
MODULE_AUTHOR("The podcam authors");
MODULE_LICENSE("GPL");
